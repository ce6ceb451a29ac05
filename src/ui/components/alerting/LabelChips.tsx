/** Label chips in the Targets page's style. */
export function LabelChips({ labels }: { labels: Readonly<Record<string, string>> }) {
  return (
    <div className="label-chips">
      {Object.keys(labels)
        .sort()
        .map((k) => (
          <span key={k} className="chip mono">
            <span className="chip-key">{k}</span>=<span className="chip-value">{labels[k]}</span>
          </span>
        ))}
    </div>
  );
}
