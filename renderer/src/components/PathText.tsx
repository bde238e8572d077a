import { Fragment } from 'react';

/** A file path that wraps after its separators rather than inside names. */
export function PathText({ path, className }: { path: string; className?: string }) {
  const parts = path.split(/(?<=[\\/])/);
  return (
    <span className={className} title={path}>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 && <wbr />}
        </Fragment>
      ))}
    </span>
  );
}
