/**
 * The TraceQL editor: CodeMirror 6 over Grafana's TraceQL lezer grammar (the grammar the server parses with),
 * highlighted like the PromQL and LogQL editors. Enter runs (a TraceQL query is one line); Shift+Enter too.
 */
import { LanguageSupport, LRLanguage } from '@codemirror/language';
import { styleTags, tags } from '@lezer/highlight';
import { parser } from '@grafana/lezer-traceql';
import { QueryEditor, queryHighlight, type QueryEditorConfig } from '../QueryEditor.js';

export interface TraceQLEditorProps {
  value: string;
  onChange(value: string): void;
  onRun(): void;
}

const traceql = LRLanguage.define({
  name: 'traceql',
  parser: parser.configure({
    props: [
      styleTags({
        'String': tags.string,
        'Integer Float Duration': tags.number,
        'IntrinsicField': tags.keyword,
        'Resource Span Event Link Instrumentation Parent': tags.keyword,
        'Identifier': tags.labelName,
        'Static': tags.atom,
        'AggregateExpression Aggregate': tags.function(tags.variableName),
        'FieldOp ComparisonOp And Or Gt Lt Desc Anc Pipe': tags.operator,
        'LineComment BlockComment': tags.comment,
        '{ }': tags.brace,
        '( )': tags.paren,
      }),
    ],
  }),
  languageData: { closeBrackets: { brackets: ['(', '{', '"', '`'] } },
});

const highlight = queryHighlight([{ tag: tags.atom, color: 'var(--syntax-number)' }]);

const config: QueryEditorConfig = {
  className: 'promql-editor traceql-editor',
  ariaLabel: 'TraceQL query',
  testId: 'traceql-input',
  placeholder: 'TraceQL, e.g. { resource.service.name = "api" && duration > 100ms }  —  Enter to run',
  highlight,
  // A TraceQL query is one line, so plain Enter runs it too.
  runKeys: ['Enter', 'Shift-Enter', 'Mod-Enter'],
  extensions: () => [new LanguageSupport(traceql)],
};

export function TraceQLEditor(props: TraceQLEditorProps) {
  return <QueryEditor {...props} config={config} />;
}

export default TraceQLEditor;
