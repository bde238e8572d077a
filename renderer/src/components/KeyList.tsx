// A list of keys and what they do, as the help overlays show it.
export function KeyList({ keys }: { keys: readonly (readonly [string, string])[] }) {
  return (
    <dl className="keys">
      {keys.map(([k, what]) => (
        <div key={k} className="key-row">
          <dt>
            <kbd>{k}</kbd>
          </dt>
          <dd>{what}</dd>
        </div>
      ))}
    </dl>
  );
}
