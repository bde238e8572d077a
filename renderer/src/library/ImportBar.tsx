import { useState } from 'react';

interface ImportBarProps {
  labelsFromFolders: boolean;
  onLabelsFromFoldersChange(value: boolean): void;
  onImport(path: string): void;
}

/** Import a folder (or file) by its path on the machine that runs the core. */
export function ImportBar({ labelsFromFolders, onLabelsFromFoldersChange, onImport }: ImportBarProps) {
  const [path, setPath] = useState('');
  const submit = () => {
    const value = path.trim();
    if (!value) return;
    onImport(value);
  };
  return (
    <form
      className="import-bar"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label className="field field-path">
        <span className="field-label">Import folder…</span>
        <input
          type="text"
          data-testid="import-path-input"
          placeholder="Folder or file path on the Emma machine, e.g. /data/sem/2024-w19"
          value={path}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => setPath(e.target.value)}
        />
      </label>
      <label className="checkbox" title="ImageFolder layout: <folder>/<class>/<image> gives each image a human label">
        <input type="checkbox" data-testid="import-labels-checkbox" checked={labelsFromFolders} onChange={(e) => onLabelsFromFoldersChange(e.target.checked)} />
        Use folder names as labels
      </label>
      <button type="submit" className="primary" data-testid="import-start" disabled={!path.trim()}>
        Import
      </button>
      <span className="import-hint">or drop files and folders onto the library</span>
    </form>
  );
}
