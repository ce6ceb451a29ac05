/** E-mail over SMTP with nodemailer: STARTTLS (required unless require_tls: false), AUTH, templated headers and bodies. */
import { createTransport } from 'nodemailer';
import type { EmailConfig } from '../alertmanager/config.js';
import { NotifyError, type Integration, type NotifyContext } from './integration.js';
import { renderText, templateData, type NotifyData } from './template-data.js';

export class EmailIntegration implements Integration {
  readonly name = 'email';
  constructor(
    private readonly cfg: EmailConfig,
    readonly index: number,
  ) {}
  get sendResolved(): boolean {
    return this.cfg.sendResolved;
  }
  async notify(data: NotifyData, ctx: NotifyContext): Promise<void> {
    const d = templateData(data);
    const t = (s: string) => renderText(ctx.templates, s, d);
    const idx = this.cfg.smarthost.lastIndexOf(':');
    const host = this.cfg.smarthost.slice(0, idx).replace(/^\[|\]$/g, '');
    const port = Number(this.cfg.smarthost.slice(idx + 1));
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.cfg.headers)) headers[k] = t(v);
    const { Subject, To, From, ...rest } = headers;
    const transport = createTransport({
      host, port, secure: port === 465, requireTLS: this.cfg.requireTls && port !== 465, ignoreTLS: !this.cfg.requireTls, name: this.cfg.hello,
      auth: this.cfg.authUsername ? { user: this.cfg.authUsername, pass: this.cfg.authPassword } : undefined,
      tls: { rejectUnauthorized: !this.cfg.tlsInsecureSkipVerify }, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 15_000,
    });
    const abort = () => transport.close();
    ctx.signal.addEventListener('abort', abort);
    try {
      await transport.sendMail({ from: From, to: To, subject: Subject, headers: rest, html: this.cfg.html ? t(this.cfg.html) : undefined, text: this.cfg.text ? t(this.cfg.text) : undefined });
    } catch (e) {
      const err = e as Error & { responseCode?: number };
      // 5xx SMTP replies are permanent; everything else (connection, 4xx) may succeed later.
      throw new NotifyError(`email: ${err.message}`, !(err.responseCode && err.responseCode >= 500));
    } finally {
      ctx.signal.removeEventListener('abort', abort);
      transport.close();
    }
  }
}
