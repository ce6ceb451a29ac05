/**
 * The LogQL editor: CodeMirror 6 over Grafana's LogQL lezer grammar (the same grammar the server parses
 * with), with highlighting. Shift+Enter or Ctrl/⌘+Enter runs. Loaded lazily like the PromQL editor.
 */
import { forwardRef } from 'react';
import { LanguageSupport, LRLanguage } from '@codemirror/language';
import { styleTags, tags } from '@lezer/highlight';
import { parser } from '@grafana/lezer-logql';
import { QueryEditor, queryHighlight, type QueryEditorConfig, type QueryEditorHandle, type QueryEditorProps } from '../QueryEditor.js';

export type LogQLEditorHandle = QueryEditorHandle;

export type LogQLEditorProps = QueryEditorProps;

const KEYWORDS =
  'Json Logfmt Unpack Pattern Regexp Unwrap LabelFormat LineFormat Decolorize Drop Keep By Without Bool On Ignoring GroupLeft GroupRight Offset And Or Unless ParserFlag';
const FUNCTIONS =
  'CountOverTime Rate RateCounter BytesOverTime BytesRate AvgOverTime SumOverTime MinOverTime MaxOverTime StddevOverTime StdvarOverTime QuantileOverTime FirstOverTime LastOverTime AbsentOverTime Sum Avg Count Max Min Stddev Stdvar Bottomk Topk Sort Sort_Desc LabelReplace Vector BytesConv DurationConv DurationSecondsConv';

const logql = LRLanguage.define({
  name: 'logql',
  parser: parser.configure({
    props: [
      styleTags({
        [KEYWORDS]: tags.keyword,
        [FUNCTIONS]: tags.function(tags.variableName),
        'String': tags.string,
        'Number Duration Bytes': tags.number,
        'Identifier LabelName': tags.labelName,
        'PipeExact PipeMatch PipePattern Npa Pipe Eq Neq Re Nre Gtr Gte Lss Lte Eql Add Sub Mul Div Mod Pow': tags.operator,
        'LineComment': tags.comment,
        '( )': tags.paren,
        '[ ]': tags.squareBracket,
        '{ }': tags.brace,
      }),
    ],
  }),
  languageData: { closeBrackets: { brackets: ['(', '[', '{', '"', '`'] }, commentTokens: { line: '#' } },
});

const highlight = queryHighlight();

const config: QueryEditorConfig = {
  className: 'promql-editor logql-editor',
  ariaLabel: 'LogQL query',
  testId: 'logql-input',
  placeholder: 'Enter a LogQL query, e.g. {job="api"} |= "error"  —  Ctrl+Enter to run',
  highlight,
  extensions: () => [new LanguageSupport(logql)],
};

export const LogQLEditor = forwardRef<LogQLEditorHandle, LogQLEditorProps>(function LogQLEditor(props, ref) {
  return <QueryEditor ref={ref} {...props} config={config} />;
});

export default LogQLEditor;
