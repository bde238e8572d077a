// The shell: sidebar (only views that work), header with the library status, the jobs area (progress,
// cancel, import reports) and the Library view.
import { useCallback, useEffect, useState } from 'react';
import type { AppStatus } from '../../main/core/contract.js';
import { api, transport } from './api/index.js';
import { useJobs } from './app/useJobs.js';
import { HelpOverlay } from './components/HelpOverlay.js';
import { JobsArea } from './components/JobsArea.js';
import { formatCount } from './lib/format.js';
import { LibraryView } from './library/LibraryView.js';
import { useRoute, VIEWS, type ViewId } from './app/route.js';
import { TeacherView } from './teacher/TeacherView.js';
import { ReviewView } from './review/ReviewView.js';
import { TrainView } from './train/TrainView.js';
import { ChatView } from './chat/ChatView.js';
import { AuditView } from './audit/AuditView.js';
import { messageOf } from './lib/errors.js';

function currentView(): string {
  return window.location.hash.replace(/^#/, '').split('/')[0] || 'library';
}

function isEditable(el: EventTarget | null): boolean {
  const e = el as HTMLElement | null;
  return !!e && (e.tagName === 'INPUT' || e.tagName === 'TEXTAREA' || e.tagName === 'SELECT' || e.isContentEditable);
}

export function App() {
  const jobs = useJobs();
  const route: ViewId = useRoute();
  const [status, setStatus] = useState<AppStatus | null>(null);
  const [statusError, setStatusError] = useState<string | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.getStatus().then(
      (s) => {
        if (!live) return;
        setStatus(s);
        setStatusError(null);
      },
      (e: unknown) => live && setStatusError(messageOf(e)),
    );
    return () => {
      live = false;
    };
  }, [jobs.imagesVersion]); // a review decision changes labels only: no status round trip per key press

  // A file dropped outside the library must not make the window navigate to it.
  useEffect(() => {
    const block = (e: globalThis.DragEvent) => {
      if (e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files')) e.preventDefault();
    };
    window.addEventListener('dragover', block);
    window.addEventListener('drop', block);
    return () => {
      window.removeEventListener('dragover', block);
      window.removeEventListener('drop', block);
    };
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isEditable(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '?') {
        e.preventDefault();
        setHelpOpen((open) => !open);
      } else if ((e.key === '[' || e.key === ']') && !e.defaultPrevented && !document.querySelector('[role="dialog"]')) {
        // Section switching by key: the sidebar's order, wrapping around.
        e.preventDefault();
        const i = VIEWS.findIndex((v) => v.id === currentView());
        const next = VIEWS[(i + (e.key === ']' ? 1 : VIEWS.length - 1)) % VIEWS.length];
        window.location.hash = `#${next.id}`;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const closeHelp = useCallback(() => setHelpOpen(false), []);
  const error = notice ?? jobs.lastError;
  const dismissError = useCallback(() => {
    setNotice(null);
    jobs.clearError();
  }, [jobs]);

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Views">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Emma
        </div>
        <ul className="nav-list">
          {VIEWS.map((v) => (
            <li key={v.id}>
              <a
                className={`nav-item${route === v.id ? ' active' : ''}`}
                aria-current={route === v.id ? 'page' : undefined}
                href={`#${v.id}`}
                data-testid={`nav-${v.id}`}
              >
                <span>{v.title}</span>
                {v.id === 'library' && status && <span className="nav-count">{formatCount(status.imageCount)}</span>}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-footer">
          <button type="button" className="link" onClick={() => setHelpOpen(true)} title="Keyboard shortcuts (?)">
            Keyboard shortcuts <kbd>?</kbd>
          </button>
          {status && <div className="muted small">Emma {status.version}</div>}
        </div>
      </nav>
      <div className="main">
        <header className="header">
          <div className="status" data-testid="app-status">
            {status ? (
              <>
                <span className="status-item">
                  <strong>{formatCount(status.imageCount)}</strong> images in library
                </span>
                <span className="status-item mono" title={`Database: ${status.dbPath}\nData folder: ${status.dataDir}`}>
                  {/* LRM marks keep the path's own direction inside the right-to-left (start-ellipsis) box */}
                  {`\u200e${status.dbPath}\u200e`}
                </span>
                <span className="status-item muted">
                  {status.mode}
                  {transport === 'http' && status.mode !== 'browser' ? ' · browser' : ''}
                </span>
              </>
            ) : statusError ? (
              <span className="error-text">Emma core not reachable: {statusError}</span>
            ) : (
              <span className="muted">Connecting…</span>
            )}
          </div>
        </header>
        <JobsArea jobs={jobs} />
        {error && (
          <div className="banner banner-error" role="alert">
            <span>{error}</span>
            <button type="button" className="icon" onClick={dismissError} aria-label="Dismiss">
              ×
            </button>
          </div>
        )}
        {route === 'library' && (
          <LibraryView
            libraryVersion={jobs.libraryVersion}
            libraryTotal={status?.imageCount ?? null}
            overlayOpen={helpOpen}
            onImportPaths={(paths, labels) => void jobs.startImport(paths, labels)}
            onUploadFiles={(files, skipped) => void jobs.uploadFiles(files, skipped)}
            onError={setNotice}
          />
        )}
        {route === 'teacher' && <TeacherView jobsVersion={jobs.jobsVersion} onJob={jobs.track} onError={setNotice} />}
        {route === 'review' && <ReviewView onError={setNotice} />}
        {route === 'train' && <TrainView jobsVersion={jobs.jobsVersion} onJob={jobs.track} onError={setNotice} />}
        {route === 'chat' && <ChatView libraryVersion={jobs.libraryVersion} onError={setNotice} />}
        {route === 'audit' && <AuditView onError={setNotice} />}
      </div>
      {helpOpen && <HelpOverlay onClose={closeHelp} />}
    </div>
  );
}
