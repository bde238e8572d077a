// Chat over an image: pick one from the library (or drop a file), see it with its calibrated scale bar, ask in free
// text; the active student answers locally with its confidence (or says plainly that it cannot yet). "Ask the
// teacher too" (only with egress on) answers beside it, streamed. A wrong student answer is corrected in place and
// becomes a reviewed Q&A pair. A student answer shows its evidence (the prediction with probabilities, similar
// reviewed images, the measurement used) and, when refused with egress on, offers to ask the teacher instead.
// "Find similar images" from the student's memory, "find images of <text>" by the class the text describes
// (ranked thumbnails with scores, or "no good match"). Chats are saved per image.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type DragEvent, type FormEvent } from 'react';
import type {
  AnswerGrounding,
  ChatMessage,
  ImageDetail,
  ImageSummary,
  SimilarImage,
  StudentCapabilities,
  TextSearchResult,
} from '../../../main/core/contract.js';
import { api, mediaUrl, onEvent } from '../api/index.js';
import { formatMagnification, formatPixelSize } from '../lib/format.js';
import { pct } from '../lib/plots.js';
import { ScaleBarOverlay } from '../viewer/ScaleBarOverlay.js';
import './chat.css';
import { messageOf } from '../lib/errors.js';
import { jobEnded } from '../api/jobs.js';

interface Props {
  libraryVersion: number;
  onError(message: string): void;
}

const REVIEWER_KEY = 'emma.reviewer';

function imageIdFromHash(): number | null {
  const m = /^#chat\/(\d+)/.exec(window.location.hash);
  return m ? Number(m[1]) : null;
}

export function ChatView({ libraryVersion, onError }: Props) {
  const [imageId, setImageId] = useState<number | null>(imageIdFromHash);
  const [caps, setCaps] = useState<StudentCapabilities | null>(null);
  const [egress, setEgress] = useState(false);

  useEffect(() => {
    const onHash = () => setImageId(imageIdFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    api.getStudentCapabilities().then(setCaps, (e: unknown) => onError(`Student: ${messageOf(e)}`));
    api.getTeacherSettings().then(
      (s) => setEgress(s.egress.enabled),
      () => setEgress(false),
    );
  }, [libraryVersion, onError]);

  const pick = (id: number) => {
    window.location.hash = `#chat/${id}`;
    setImageId(id);
  };

  return (
    <div className="chat-view" data-testid="chat-view">
      <ImagePicker selected={imageId} onPick={pick} libraryVersion={libraryVersion} caps={caps} onError={onError} />
      {imageId == null ? (
        <div className="empty-state">
          <div className="empty-title">Pick an image</div>
          <p className="muted">Choose one on the left, or drop a micrograph here, then ask about it.</p>
        </div>
      ) : (
        <ImageChat key={imageId} imageId={imageId} caps={caps} egress={egress} onPick={pick} onError={onError} />
      )}
    </div>
  );
}

/** "Find images of <text>": the student's image–text embeddings rank the library; thumbnails with their scores. */
function TextSearch({ caps, onPick, onError }: { caps: StudentCapabilities | null; onPick(id: number): void; onError(m: string): void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [found, setFound] = useState<{ text: string; items: SimilarImage[]; result: TextSearchResult } | null>(null);
  const seq = useRef(0);
  const enabled = caps?.findByText === true;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const q = text.trim();
    if (!q) return;
    const n = ++seq.current;
    setBusy(true);
    try {
      const result = await api.searchImagesByText(q, 12);
      if (n === seq.current) setFound({ text: q, items: result.results, result });
    } catch (err) {
      onError(`Find images of "${q}": ${messageOf(err)}`);
    } finally {
      if (n === seq.current) setBusy(false);
    }
  };
  return (
    <div className="text-search" data-testid="text-search">
      <form className="row" onSubmit={(e) => void submit(e)}>
        <input
          type="search"
          placeholder={enabled ? 'Find images of… (e.g. lamellar pearlite)' : 'Find images of… (needs a student with a language part)'}
          value={text}
          onChange={(e) => setText(e.target.value)}
          disabled={!enabled}
          title={enabled ? undefined : caps?.note}
          data-testid="text-search-input"
        />
        <button type="submit" disabled={!enabled || busy || !text.trim()} data-testid="text-search-run">
          {busy ? 'Searching…' : 'Find'}
        </button>
      </form>
      {found && (
        <div data-testid="text-search-results" data-count={found.items.length} data-no-good-match={found.result.noGoodMatch}>
          <div className="muted small" data-testid="text-search-note">
            {found.result.noGoodMatch
              ? ''
              : `Best matches for "${found.text}" (student v${caps?.activeVersion ?? '?'}, probability of the class the text describes). `}
            {found.result.note}{' '}
            <button type="button" className="link" onClick={() => setFound(null)} data-testid="text-search-clear">
              clear
            </button>
          </div>
          <ol className="similar-strip text-search-results">
            {found.items.map((s, rank) => (
              <li key={s.image.id}>
                <button
                  type="button"
                  className="chat-thumb"
                  onClick={() => onPick(s.image.id)}
                  title={`#${rank + 1} ${s.image.fileName}${s.className ? ` (${s.className})` : ''}: score ${s.similarity.toFixed(3)}`}
                  data-testid="text-search-item"
                  data-image-id={s.image.id}
                  data-score={s.similarity}
                >
                  <img src={mediaUrl(s.image.id, 'thumb')} alt="" loading="lazy" />
                  <span>
                    #{rank + 1} · <span className="mono">{s.similarity.toFixed(3)}</span>
                    {s.className ? ` · ${s.className}` : ''}
                  </span>
                </button>
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}

function ImagePicker({
  selected,
  onPick,
  libraryVersion,
  caps,
  onError,
}: {
  selected: number | null;
  onPick(id: number): void;
  libraryVersion: number;
  caps: StudentCapabilities | null;
  onError(m: string): void;
}) {
  const [search, setSearch] = useState('');
  const [items, setItems] = useState<ImageSummary[]>([]);
  const [total, setTotal] = useState(0);
  const [dropping, setDropping] = useState(false);
  const [uploading, setUploading] = useState<string | null>(null);

  // The whole library, a page at a time as the list is scrolled (search narrows it on the core).
  const loadMore = useCallback(() => {
    if (items.length >= total) return;
    api.listImages({ offset: items.length, limit: 120, search: search.trim() || undefined }).then(
      (r) => setItems((cur) => (cur.length === items.length ? [...cur, ...r.items] : cur)),
      (e: unknown) => onError(`Images: ${messageOf(e)}`),
    );
  }, [items.length, total, search, onError]);

  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      api.listImages({ offset: 0, limit: 120, search: search.trim() || undefined }).then(
        (r) => {
          if (!live) return;
          setItems(r.items);
          setTotal(r.total);
        },
        (e: unknown) => live && onError(`Images: ${messageOf(e)}`),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [search, libraryVersion, onError]);

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setDropping(false);
    const file = Array.from(e.dataTransfer.files).find((f) => /\.(tiff?|png|jpe?g)$/i.test(f.name));
    if (!file) return onError('Drop a TIFF, PNG or JPEG micrograph.');
    setUploading(file.name);
    try {
      const started = await api.startUpload([{ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }]);
      const job = await jobEnded(started.id);
      if (job.state !== 'done') throw new Error(job.error ?? job.state);
      // The newest image with this name (an upload of a file already in the library finds the earlier copy).
      const stem = file.name.replace(/\.[^.]+$/, '');
      const found = await api.listImages({ offset: 0, limit: 1000, search: stem });
      const hit = found.items.at(-1);
      if (!hit) throw new Error(`${file.name} was not imported (see the import report)`);
      onPick(hit.id);
    } catch (err) {
      onError(`Upload of ${file.name}: ${messageOf(err)}`);
    } finally {
      setUploading(null);
    }
  };

  return (
    <aside
      className={`chat-picker${dropping ? ' dropping' : ''}`}
      data-testid="chat-picker"
      onDragOver={(e) => {
        e.preventDefault();
        setDropping(true);
      }}
      onDragLeave={() => setDropping(false)}
      onDrop={(e) => void onDrop(e)}
    >
      <TextSearch caps={caps} onPick={onPick} onError={onError} />
      <input type="search" placeholder="Find an image by name…" value={search} onChange={(e) => setSearch(e.target.value)} data-testid="chat-search" />
      <div className="muted small">
        {total} image{total === 1 ? '' : 's'}
        {total > items.length ? ` (${items.length} shown: scroll for more)` : ''} · or drop a file
        {uploading ? ` · importing ${uploading}…` : ''}
      </div>
      <div
        className="chat-thumbs"
        data-testid="chat-thumbs"
        onScroll={(e) => {
          const el = e.currentTarget;
          if (el.scrollTop + el.clientHeight > el.scrollHeight - 200) loadMore();
        }}
      >
        {items.map((it) => (
          <button
            type="button"
            key={it.id}
            className={`chat-thumb${selected === it.id ? ' active' : ''}`}
            title={it.fileName}
            onClick={() => onPick(it.id)}
            data-testid="chat-thumb"
            data-image-id={it.id}
          >
            <img src={mediaUrl(it.id, 'thumb')} alt="" loading="lazy" />
            <span>{it.fileName}</span>
          </button>
        ))}
        {items.length < total && (
          <button type="button" className="chat-more" onClick={loadMore} data-testid="chat-more">
            Show more ({total - items.length} left)
          </button>
        )}
      </div>
    </aside>
  );
}

/** The preview fitted in its box, with the calibrated scale bar for the size it is shown at. */
function ImagePane({ image }: { image: ImageDetail }) {
  const boxRef = useRef<HTMLDivElement>(null);
  const [shown, setShown] = useState<{ w: number; natural: number } | null>(null);
  const [boxW, setBoxW] = useState(0);
  const imgRef = useRef<HTMLImageElement>(null);
  const measure = useCallback(() => {
    const el = imgRef.current;
    if (el && el.naturalWidth > 0) setShown({ w: el.clientWidth, natural: el.naturalWidth });
    if (boxRef.current) setBoxW(boxRef.current.clientWidth);
  }, []);
  useLayoutEffect(() => {
    const el = boxRef.current;
    if (!el) return;
    const o = new ResizeObserver(measure);
    o.observe(el);
    return () => o.disconnect();
  }, [measure]);
  const previewScale = shown && image.width > 0 ? shown.natural / image.width : 0;
  const zoom = shown ? shown.w / shown.natural : 1;
  return (
    <div className="chat-image" ref={boxRef} data-testid="chat-image">
      <img ref={imgRef} src={mediaUrl(image.id, 'preview')} alt={image.fileName} onLoad={measure} />
      {shown && <ScaleBarOverlay pixelSizeNm={image.pixelSizeNm} previewScale={previewScale} zoom={zoom} viewportWidth={Math.min(boxW, shown.w)} />}
    </div>
  );
}

function ImageChat({
  imageId,
  caps,
  egress,
  onPick,
  onError,
}: {
  imageId: number;
  caps: StudentCapabilities | null;
  egress: boolean;
  onPick(id: number): void;
  onError(m: string): void;
}) {
  const [image, setImage] = useState<ImageDetail | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [question, setQuestion] = useState('');
  const [alsoTeacher, setAlsoTeacher] = useState(false);
  const [asking, setAsking] = useState(false);
  const [streaming, setStreaming] = useState<string | null>(null);
  const [studentNote, setStudentNote] = useState<string | null>(null);
  const [similar, setSimilar] = useState<SimilarImage[] | null>(null);
  const [similarBusy, setSimilarBusy] = useState(false);
  const listRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let live = true;
    api.getImage(imageId).then(
      (d) => live && setImage(d),
      (e: unknown) => live && onError(`Image ${imageId}: ${messageOf(e)}`),
    );
    api.listChat(imageId).then(
      (m) => live && setMessages(m),
      (e: unknown) => live && onError(`Chat: ${messageOf(e)}`),
    );
    return () => {
      live = false;
    };
  }, [imageId, onError]);

  useEffect(() => {
    listRef.current?.scrollTo({ top: listRef.current.scrollHeight });
  }, [messages, streaming]);

  const canStudent = caps?.answer === true;
  const teacherOn = egress && alsoTeacher;

  const ask = async (e: FormEvent) => {
    e.preventDefault();
    const q = question.trim();
    if (!q || asking) return;
    setAsking(true);
    setStudentNote(null);
    try {
      let userId: number | undefined;
      if (canStudent) {
        const r = await api.askStudent({ imageId, question: q });
        if (!r.supported) setStudentNote(r.note);
        const add = [r.question, r.message].filter((m): m is ChatMessage => m != null);
        setMessages((list) => [...list, ...add]);
        userId = r.question?.id;
      } else if (!teacherOn) {
        setStudentNote(caps?.note ?? 'The active model cannot answer questions yet.');
        return;
      }
      setQuestion('');
      if (teacherOn) {
        const streamId = `chat-${imageId}-${Date.now().toString(36)}`;
        setStreaming('');
        const off = onEvent((ev) => {
          if (ev.type === 'teacher-stream' && ev.streamId === streamId) setStreaming((s) => (s ?? '') + ev.delta);
        });
        try {
          const t = await api.askTeacherInChat({ imageId, question: q, replyTo: userId, streamId });
          setMessages(await api.listChat(imageId));
          void t;
        } catch (err) {
          onError(`Teacher: ${messageOf(err)}`);
        } finally {
          off();
          setStreaming(null);
        }
      }
    } catch (err) {
      onError(`Ask: ${messageOf(err)}`);
    } finally {
      setAsking(false);
    }
  };

  /** A refused or unmeasurable student answer: ask the teacher about the same question (egress on only). */
  const askTeacherAbout = async (q: ChatMessage) => {
    const streamId = `chat-${imageId}-${Date.now().toString(36)}`;
    setStreaming('');
    const off = onEvent((ev) => {
      if (ev.type === 'teacher-stream' && ev.streamId === streamId) setStreaming((s) => (s ?? '') + ev.delta);
    });
    try {
      await api.askTeacherInChat({ imageId, question: q.text, replyTo: q.id, streamId });
      setMessages(await api.listChat(imageId));
    } catch (err) {
      onError(`Teacher: ${messageOf(err)}`);
    } finally {
      off();
      setStreaming(null);
    }
  };

  const findSimilar = async () => {
    setSimilarBusy(true);
    try {
      setSimilar(await api.findSimilar(imageId, 8));
    } catch (err) {
      onError(`Similar images: ${messageOf(err)}`);
    } finally {
      setSimilarBusy(false);
    }
  };

  // Group answers under their question (student and teacher side by side).
  const byReply = new Map<number, ChatMessage[]>();
  for (const m of messages) if (m.replyTo != null) byReply.set(m.replyTo, [...(byReply.get(m.replyTo) ?? []), m]);
  const questions = messages.filter((m) => m.role === 'user');

  return (
    <div className="chat-main">
      <div className="chat-left">
        {image ? (
          <>
            <div className="chat-image-title">
              <strong>{image.fileName}</strong>
              <span className="muted">
                {formatMagnification(image.magnification)} {image.pixelSizeNm ? `· ${formatPixelSize(image.pixelSizeNm)}` : '· not calibrated'}
                {image.label ? ` · ${image.label.className} (${image.label.source})` : ''}
              </span>
            </div>
            <ImagePane image={image} />
          </>
        ) : (
          <div className="chat-image muted">Loading…</div>
        )}
        <div className="row">
          <button
            type="button"
            onClick={() => void findSimilar()}
            disabled={!caps?.similar || similarBusy}
            data-testid="find-similar"
            title={caps?.similar ? '' : caps?.note}
          >
            {similarBusy ? 'Searching…' : 'Find similar images'}
          </button>
          {caps && <span className="muted small">{caps.activeVersion ? `student v${caps.activeVersion}` : 'no student model yet'}</span>}
        </div>
        {similar && (
          <div className="similar-strip" data-testid="similar-results">
            {similar.length === 0 && <span className="muted">No reviewed image is similar enough.</span>}
            {similar.map((s) => (
              <button
                type="button"
                key={s.image.id}
                className="chat-thumb"
                onClick={() => onPick(s.image.id)}
                title={`${s.image.fileName}: ${s.className ?? ''}, similarity ${s.similarity.toFixed(2)}`}
                data-testid="similar-item"
              >
                <img src={mediaUrl(s.image.id, 'thumb')} alt="" />
                <span>
                  {s.className ?? '—'} · {s.similarity.toFixed(2)}
                </span>
              </button>
            ))}
          </div>
        )}
      </div>
      <div className="chat-right">
        {caps && !caps.answer && (
          <div className="banner" role="status" data-testid="chat-unsupported">
            <span>{caps.note}</span>
          </div>
        )}
        <div className="chat-messages" ref={listRef} data-testid="chat-messages">
          {questions.length === 0 && <p className="muted">No questions about this image yet.</p>}
          {questions.map((q) => (
            <div key={q.id} className="chat-turn">
              <div className="chat-bubble user" data-testid="chat-question">
                {q.text}
              </div>
              <div className="chat-answers">
                {(byReply.get(q.id) ?? [])
                  .filter((m) => m.role !== 'correction')
                  .map((m) => (
                    <Answer
                      key={m.id}
                      message={m}
                      grounding={m.grounding ?? null}
                      teacherAnswered={(byReply.get(q.id) ?? []).some((x) => x.role === 'teacher')}
                      onAskTeacher={egress ? () => void askTeacherAbout(q) : null}
                      onPick={onPick}
                      corrections={byReply.get(m.id) ?? []}
                      onCorrected={(c) => setMessages((l) => [...l, c])}
                      onError={onError}
                    />
                  ))}
              </div>
            </div>
          ))}
          {streaming != null && (
            <div className="chat-bubble teacher streaming" data-testid="teacher-streaming">
              <div className="chat-who">teacher (streaming)</div>
              {streaming || '…'}
            </div>
          )}
        </div>
        {studentNote && (
          <p className="muted small" data-testid="chat-student-note">
            {studentNote}
          </p>
        )}
        <form className="chat-ask" onSubmit={(e) => void ask(e)}>
          <textarea
            value={question}
            onChange={(e) => setQuestion(e.target.value)}
            placeholder={
              canStudent
                ? 'Ask about this image, e.g. "are there bridges between the lines?"'
                : 'The student cannot answer yet; switch on "ask the teacher too" (egress on) to ask the teacher.'
            }
            rows={2}
            data-testid="chat-input"
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                (e.currentTarget.form as HTMLFormElement | null)?.requestSubmit();
              }
            }}
          />
          <div className="row">
            <button type="submit" className="primary" disabled={asking || !question.trim() || (!canStudent && !teacherOn)} data-testid="chat-send">
              {asking ? 'Asking…' : 'Ask'}
            </button>
            <label
              className="checkbox"
              title={
                egress
                  ? 'Sends this image and question to the teacher (recorded in the audit log)'
                  : 'Teacher egress is off for this project: nothing leaves this PC'
              }
            >
              <input
                type="checkbox"
                checked={teacherOn}
                disabled={!egress}
                onChange={(e) => setAlsoTeacher(e.target.checked)}
                data-testid="chat-also-teacher"
              />
              Ask the teacher too {egress ? '' : '(egress off)'}
            </label>
          </div>
        </form>
      </div>
    </div>
  );
}

/** The evidence of a grounded student answer: the prediction, similar reviewed images, the measurement or refusal. */
function Evidence({ g, onPick }: { g: AnswerGrounding; onPick(id: number): void }) {
  const name = (c: string) => c.replace(/_/g, ' ');
  return (
    <div className="chat-evidence small" data-testid="chat-evidence" data-intent={g.intent} data-refused={g.refused}>
      {g.refused && g.reason && (
        <div data-testid="chat-refusal-reason">
          <strong>Why not answered:</strong> {g.reason}.
        </div>
      )}
      {!g.refused && (
        <div data-testid="chat-prediction">
          <strong>Prediction:</strong> {g.prediction.map((p) => `${name(p.className)} ${pct(p.probability, 0)}`).join(' · ')}
        </div>
      )}
      {g.measurement && <div>Measurement: {g.measurement}</div>}
      <div className="muted">
        From {g.source}
        {g.pixelSizeNm != null ? ` · pixel size ${formatPixelSize(g.pixelSizeNm)}` : ''} · question read as {g.intent} ({pct(g.intentProbability, 0)})
      </div>
      {!g.refused && g.similar.length > 0 && (
        <div className="similar-strip" data-testid="chat-evidence-similar">
          {g.similar.map((s) => (
            <button
              type="button"
              key={s.imageId}
              className="chat-thumb"
              onClick={() => onPick(s.imageId)}
              title={`reviewed as ${s.className ?? '—'}, similarity ${s.similarity.toFixed(2)}`}
            >
              <img src={mediaUrl(s.imageId, 'thumb')} alt="" loading="lazy" />
              <span>
                {s.className ? name(s.className) : '—'} · {s.similarity.toFixed(2)}
              </span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

function Answer({
  message: m,
  grounding,
  teacherAnswered,
  onAskTeacher,
  onPick,
  corrections,
  onCorrected,
  onError,
}: {
  message: ChatMessage;
  grounding: AnswerGrounding | null;
  teacherAnswered: boolean;
  onAskTeacher: (() => void) | null;
  onPick(id: number): void;
  corrections: ChatMessage[];
  onCorrected(c: ChatMessage): void;
  onError(e: string): void;
}) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(m.text);
  const [saving, setSaving] = useState(false);
  const correction = corrections.at(-1);
  const save = async () => {
    const reviewer = localStorage.getItem(REVIEWER_KEY) || 'operator';
    setSaving(true);
    try {
      onCorrected(await api.correctChatAnswer({ messageId: m.id, answer: text.trim(), reviewer }));
      setEditing(false);
    } catch (e) {
      onError(`Correction: ${messageOf(e)}`);
    } finally {
      setSaving(false);
    }
  };
  return (
    <div className={`chat-bubble ${m.role}${correction ? ' corrected' : ''}`} data-testid={`chat-answer-${m.role}`}>
      <div className="chat-who">
        {m.role === 'student' ? `student ${m.modelRef ?? ''}` : `teacher ${m.modelRef ?? ''}`}
        {m.confidence != null && <span className="chat-conf"> · confidence {pct(m.confidence, 0)}</span>}
      </div>
      <div className={correction ? 'struck' : ''}>{m.text}</div>
      {grounding && <Evidence g={grounding} onPick={onPick} />}
      {grounding?.offerTeacher && onAskTeacher && !teacherAnswered && (
        <button type="button" className="small" onClick={onAskTeacher} data-testid="chat-ask-teacher-instead">
          Ask the teacher instead
        </button>
      )}
      {correction && (
        <div className="chat-correction" data-testid="chat-correction">
          <span className="chat-who">corrected by {correction.modelRef} · saved as a reviewed Q&amp;A pair</span>
          <div>{correction.text}</div>
        </div>
      )}
      {m.role === 'student' && !editing && (
        <button type="button" className="link small" onClick={() => setEditing(true)} data-testid="chat-correct">
          {correction ? 'Correct again' : 'Correct'}
        </button>
      )}
      {editing && (
        <div className="chat-edit">
          <textarea
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={2}
            data-testid="chat-correct-input"
            placeholder="Enter saves, Shift+Enter starts a new line, Esc cancels"
            onKeyDown={(e) => {
              // Enter saves (as in the question box); it never becomes part of the answer.
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                if (!saving && text.trim()) void save();
              } else if (e.key === 'Escape') {
                e.preventDefault();
                setEditing(false);
              }
            }}
          />
          <div className="row">
            <button type="button" className="primary" disabled={saving || !text.trim()} onClick={() => void save()} data-testid="chat-correct-save">
              Save correction
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
