// A teacher batch over a selection of images, run inside a job: bounded concurrency, a token and cost budget that
// stops new requests before it would be exceeded, graceful cancel (requests in flight are finished and kept, so a
// resume never pays for them again), and one stored outcome per image and configuration.
import { setMaxListeners } from 'node:events';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Db } from '../db/database.js';
import { nowIso } from '../db/database.js';
import {
  answerJsonSchema,
  answerShapeText,
  calibrationText,
  parseAnswer,
  salvageAnswer,
  type InvalidQaItem,
  qaInstructions,
  taxonomyText,
  type AnswerContext,
} from './answer.js';
import { TeacherCallError } from './client.js';
import { askParaphrases, paraphraseSources } from './paraphrase.js';
import { prepareImage, type ImageForTeacher } from './prepare.js';
import { RunStopError, type SessionTotals, type TeacherSession } from './session.js';
import { renderTemplate, templateRef } from './templates.js';
import type { TaxonomyClass, TeacherAnswer, TeacherRunResult, TeacherTemplate } from './types.js';

export interface BatchPlan {
  runId: number;
  configKey: string;
  template: TeacherTemplate;
  classes: TaxonomyClass[];
  imageIds: number[];
  concurrency: number;
  budgetUsd: number | null;
  budgetTokens: number | null;
  /** Spent by earlier jobs of this run (a resumed run's budget counts them). */
  spentUsd: number;
  spentTokens: number;
  /** Skipped before the job started (earlier answers for the same configuration). */
  skipped: number;
  /** After a cancel, requests in flight may finish for this long before they are aborted. */
  cancelGraceMs: number;
  /** The run's one text-only request for paraphrases of the question wordings, after its images (null: not asked). */
  paraphrase?: { count: number; actor: string } | null;
}

export interface BatchHooks {
  signal: AbortSignal;
  progress(done: number, total: number, message: string): void;
}

const IMAGE_COLUMNS = `id, sha256, path, file_name, width, height, pixel_size_nm, magnification, kv, wd_mm, detector, instrument, databar_y`;

export function loadImage(db: Db, id: number): ImageForTeacher | null {
  return (db.prepare(`SELECT ${IMAGE_COLUMNS} FROM images WHERE id = ?`).get(id) as ImageForTeacher | undefined) ?? null;
}

/** Prompt tokens of an image for OpenAI vision models at high detail (512-px tiles), a conservative estimate. */
function imageTokenEstimate(maxSide: number, detail: string): number {
  if (detail === 'low') return 85;
  const tiles = Math.ceil(Math.min(maxSide, 768) / 512) * Math.ceil(Math.min(maxSide, 2048) / 512);
  return 85 + 170 * tiles;
}

export async function runBatch(db: Db, session: TeacherSession, plan: BatchPlan, hooks: BatchHooks): Promise<TeacherRunResult> {
  const { config } = session;
  const ref = templateRef(plan.template);
  const sourceRef = `teacher run ${plan.runId} · template ${ref} · ${config.model}`;
  const result: TeacherRunResult = {
    runId: plan.runId,
    stopped: 'done',
    stopDetail: null,
    processed: 0,
    proposals: 0,
    flagged: [],
    skipped: plan.skipped,
    remaining: 0,
    requests: 0,
    promptTokens: 0,
    completionTokens: 0,
    costUsd: 0,
    responseFormat: session.format,
  };
  const total = plan.imageIds.length;

  // Soft stop: no new image starts. Hard stop: requests in flight are aborted (after the grace period on cancel).
  const soft = new AbortController();
  const hard = new AbortController();
  // Every request in flight listens on these two signals.
  setMaxListeners(0, soft.signal, hard.signal);
  let graceTimer: NodeJS.Timeout | null = null;
  const stop = (why: TeacherRunResult['stopped'], detail: string | null) => {
    if (result.stopped === 'done' || (result.stopped === 'budget' && why !== 'budget')) {
      result.stopped = why;
      result.stopDetail = detail;
    }
    soft.abort();
  };
  const onCancel = () => {
    stop('cancelled', 'cancelled by the operator');
    graceTimer = setTimeout(() => hard.abort(), plan.cancelGraceMs);
  };
  if (hooks.signal.aborted) onCancel();
  else hooks.signal.addEventListener('abort', onCancel, { once: true });

  // Budget: reserve an estimate per image in flight, so concurrent requests cannot overshoot together.
  const textTokens = Math.ceil((plan.template.system.length + plan.template.user.length + taxonomyText(plan.classes).length + 1500) / 3);
  let estTokens = textTokens + imageTokenEstimate(config.maxImageSide, config.imageDetail) + config.maxOutputTokens;
  let estUsd = session.price
    ? ((estTokens - config.maxOutputTokens) * session.price.inputPerMTok) / 1e6 + (config.maxOutputTokens * session.price.outputPerMTok) / 1e6
    : 0;
  let reservedUsd = 0;
  let reservedTokens = 0;
  let imagesInFlight = 0;
  const spentUsd = () => plan.spentUsd + session.totals.costUsd;
  const spentTokens = () => plan.spentTokens + session.totals.promptTokens + session.totals.completionTokens;
  /** 'go', 'wait' (images in flight hold reservations: check again when one finishes) or 'stop'. */
  const budgetCheck = (): 'go' | 'wait' | 'stop' => {
    const inFlight = imagesInFlight > 0;
    if (plan.budgetUsd !== null && spentUsd() + reservedUsd + estUsd > plan.budgetUsd + 1e-12) {
      if (inFlight) return 'wait';
      stop('budget', `cost budget of $${plan.budgetUsd} reached ($${spentUsd().toFixed(4)} spent)`);
      return 'stop';
    }
    if (plan.budgetTokens !== null && spentTokens() + reservedTokens + estTokens > plan.budgetTokens) {
      if (inFlight) return 'wait';
      stop('budget', `token budget of ${plan.budgetTokens} reached (${spentTokens()} spent)`);
      return 'stop';
    }
    return 'go';
  };
  let waiters: (() => void)[] = [];
  const wakeAll = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  soft.signal.addEventListener('abort', wakeAll);

  const report = () => {
    const cost = spentUsd();
    const budget = plan.budgetUsd !== null ? ` of $${plan.budgetUsd.toFixed(2)}` : '';
    hooks.progress(
      result.processed,
      total,
      `teacher: ${result.processed}/${total} · ${result.proposals} proposed · ${result.flagged.length} flagged · ` +
        `$${cost.toFixed(4)}${budget} · ${session.totals.requests} requests` +
        (result.paraphrases
          ? ` · paraphrases ${result.paraphrases.status}${result.paraphrases.paraphrases ? ` (${result.paraphrases.paraphrases})` : ''}`
          : ''),
    );
  };
  report();

  let observed = false;
  let consecutiveRejected = 0;
  let anySuccess = false;
  let next = 0;

  const flag = (img: ImageForTeacher, reason: string) => {
    result.flagged.push({ image: img.path, imageId: img.id, reason });
  };

  const one = async (imageId: number, spent: SessionTotals): Promise<void> => {
    const img = loadImage(db, imageId);
    if (!img) return; // deleted meanwhile
    const usage = () => ({ promptTokens: spent.promptTokens, completionTokens: spent.completionTokens, costUsd: spent.costUsd });

    let prepared;
    try {
      prepared = await prepareImage(img, { maxSide: config.maxImageSide, sendMetadata: config.sendMetadata });
    } catch (e) {
      const reason = `cannot read the image: ${(e as Error).message}`;
      storeOutcome(db, plan, img, { status: 'failed', reason }, usage(), null, sourceRef);
      flag(img, reason);
      result.processed++;
      return;
    }
    const actx: AnswerContext = { classes: plan.classes, qaCount: config.qaCount, calibrated: prepared.calibration.sentPixelSizeNm !== null };
    const vars = {
      taxonomy: taxonomyText(plan.classes),
      calibration: calibrationText(prepared.calibration),
      metadata: prepared.metadataText,
      qa_instructions: qaInstructions(config.qaCount),
      qa_count: String(config.qaCount),
      answer_shape: answerShapeText(plan.classes, config.qaCount),
    };
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: renderTemplate(plan.template.system, vars) },
      {
        role: 'user',
        content: [
          { type: 'text', text: renderTemplate(plan.template.user, vars) },
          { type: 'image_url', image_url: { url: prepared.dataUrl, detail: config.imageDetail } },
        ],
      },
    ];
    const jsonSchema = { name: 'micrograph_answer', schema: answerJsonSchema(plan.classes, config.qaCount) };
    const rctx = { runId: plan.runId, image: { id: img.id, sha256: img.sha256 }, softSignal: soft.signal, hardSignal: hard.signal, usage: spent };

    try {
      const first = await session.request(messages, { ...rctx, purpose: 'answer' }, { jsonSchema, structured: true });
      anySuccess = true;
      consecutiveRejected = 0;
      let parsed = parseAnswer(first.content, actx);
      let lastRequest = first.requestId;
      let partial: { answer: TeacherAnswer; invalid: InvalidQaItem[]; note: string } | null = null;
      if (!parsed.ok) {
        // One repair: show the model its answer and what was wrong with it.
        const firstReason = parsed.reason;
        const repair = await session.request(
          [
            ...messages,
            { role: 'assistant', content: first.content || '(empty)' },
            {
              role: 'user',
              content:
                `That answer is not usable: ${firstReason}. Reply again with only the corrected JSON object of the required shape, ` +
                `using only class names from the taxonomy and following the calibration instructions.`,
            },
          ],
          { ...rctx, purpose: 'repair' },
          { jsonSchema, structured: true },
        );
        lastRequest = repair.requestId;
        parsed = parseAnswer(repair.content, actx);
        if (!parsed.ok) {
          // Keep the valid parts: class, caption and the valid Q&A items of the repaired (else the first) answer;
          // only the invalid items are flagged, with their reasons.
          const reason = `${parsed.reason} (after one repair; first answer: ${firstReason})`;
          const salvage = [salvageAnswer(repair.content, actx), salvageAnswer(first.content, actx)].find((x) => x.ok);
          if (salvage?.ok) {
            const note = `kept the class, caption and ${salvage.answer.qa.length} valid Q&A item(s); flagged ${salvage.invalid.map((i) => (i.index >= 0 ? `item ${i.index + 1}${i.kind ? ` (${i.kind})` : ''}: ${i.reason}` : i.reason)).join('; ')}`;
            partial = { answer: salvage.answer, invalid: salvage.invalid, note: `${note} — ${reason}` };
          }
          parsed = { ok: false, reason };
        }
      }
      if (!parsed.ok && partial) {
        const stored = storeOutcome(
          db,
          plan,
          img,
          { status: 'valid', answer: { ...partial.answer, invalidQa: partial.invalid } },
          usage(),
          lastRequest,
          sourceRef,
          partial.note,
        );
        if (!stored) {
          result.skipped++;
          return;
        }
        result.proposals++;
        (result.partial ??= []).push({ image: img.path, imageId: img.id, reason: partial.note });
      } else if (parsed.ok) {
        const stored = storeOutcome(db, plan, img, { status: 'valid', answer: parsed.answer }, usage(), lastRequest, sourceRef);
        if (!stored) {
          result.skipped++;
          return;
        }
        result.proposals++;
      } else {
        storeOutcome(db, plan, img, { status: 'invalid', reason: parsed.reason }, usage(), lastRequest, sourceRef);
        flag(img, parsed.reason);
      }
      result.processed++;
    } catch (e) {
      if (e instanceof RunStopError) {
        if (e.stop === 'failed') stop('failed', e.message);
        // Cancelled mid-image: nothing stored, the image stays to do (its spent requests are recorded).
        return;
      }
      const err = e as TeacherCallError | Error;
      const reason =
        err instanceof TeacherCallError
          ? `request failed after ${err.retryable ? config.maxAttempts : 1} attempt(s): ${err.message}`
          : `request failed: ${session.scrub(err.message)}`;
      if (err instanceof TeacherCallError && err.kind === 'rejected') {
        consecutiveRejected++;
        if (!anySuccess && consecutiveRejected >= 5) {
          stop('failed', `the endpoint rejects every request (${err.message}); check that the model accepts images`);
        }
      }
      storeOutcome(db, plan, img, { status: 'failed', reason }, usage(), null, sourceRef);
      flag(img, reason);
      result.processed++;
    }
  };

  const worker = async () => {
    while (!soft.signal.aborted && next < total) {
      const check = budgetCheck();
      if (check === 'stop') break;
      if (check === 'wait') {
        await new Promise<void>((r) => waiters.push(r));
        continue;
      }
      const id = plan.imageIds[next++];
      reservedUsd += estUsd;
      reservedTokens += estTokens;
      imagesInFlight++;
      const spent: SessionTotals = { requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
      const heldUsd = estUsd;
      const heldTokens = estTokens;
      try {
        await one(id, spent);
      } finally {
        reservedUsd -= heldUsd;
        reservedTokens -= heldTokens;
        imagesInFlight--;
        // Learn the per-image cost from what was paid (repairs included), keeping the largest seen with a margin.
        const paidTokens = spent.promptTokens + spent.completionTokens;
        const paidUsd = spent.costUsd;
        if (paidTokens > 0) {
          if (!observed) {
            estTokens = paidTokens * 1.25;
            estUsd = paidUsd * 1.25;
            observed = true;
          } else {
            estTokens = Math.max(estTokens, paidTokens * 1.25);
            estUsd = Math.max(estUsd, paidUsd * 1.25);
          }
        }
        report();
        wakeAll();
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.concurrency, total || 1)) }, worker));
  } finally {
    if (graceTimer) clearTimeout(graceTimer);
    hooks.signal.removeEventListener('abort', onCancel);
  }

  // Then the paraphrase request (text only, cached; within the same budget as the images), after the images so that
  // the teacher's own questions of this run are among the wordings and a repeated run finds it in the cache.
  if (plan.paraphrase && plan.paraphrase.count > 0) {
    const sources = paraphraseSources(db);
    const none = { sources: sources.length, paraphrases: 0, dropped: 0, requests: 0 };
    if (result.stopped === 'cancelled' || result.stopped === 'failed' || hooks.signal.aborted) {
      result.paraphrases = {
        ...none,
        status: result.stopped === 'failed' ? 'failed' : 'cancelled',
        reason: `not sent: the run ${result.stopped === 'failed' ? 'failed' : 'was cancelled'}`,
      };
    } else {
      const paraSoft = new AbortController();
      const paraHard = new AbortController();
      const onParaCancel = () => {
        stop('cancelled', 'cancelled by the operator');
        paraSoft.abort();
        paraHard.abort();
      };
      hooks.signal.addEventListener('abort', onParaCancel, { once: true });
      const price = session.price;
      try {
        result.paraphrases = await askParaphrases(db, session, {
          runId: plan.runId,
          sources,
          classes: plan.classes.map((c) => c.name),
          count: plan.paraphrase.count,
          actor: plan.paraphrase.actor,
          softSignal: paraSoft.signal,
          hardSignal: paraHard.signal,
          budgetRefuses: (promptTokens, completionTokens) => {
            const usd = price ? (promptTokens * price.inputPerMTok + completionTokens * price.outputPerMTok) / 1e6 : 0;
            if (plan.budgetUsd !== null && spentUsd() + usd > plan.budgetUsd + 1e-12) {
              return `it could cost up to $${usd.toFixed(4)} and the cost budget of $${plan.budgetUsd} has $${Math.max(0, plan.budgetUsd - spentUsd()).toFixed(4)} left`;
            }
            if (plan.budgetTokens !== null && spentTokens() + promptTokens + completionTokens > plan.budgetTokens) {
              return `it could take up to ${promptTokens + completionTokens} tokens and the token budget of ${plan.budgetTokens} has ${Math.max(0, plan.budgetTokens - spentTokens())} left`;
            }
            return null;
          },
        });
      } catch (e) {
        if (!(e instanceof RunStopError)) throw e;
        stop('failed', e.message);
        result.paraphrases = { ...none, status: 'failed', reason: e.message };
      } finally {
        hooks.signal.removeEventListener('abort', onParaCancel);
      }
    }
  }

  result.requests = session.totals.requests;
  result.promptTokens = session.totals.promptTokens;
  result.completionTokens = session.totals.completionTokens;
  result.costUsd = round6(session.totals.costUsd);
  result.responseFormat = session.format;
  const done = db.prepare(`SELECT count(*) AS n FROM teacher_outputs WHERE config_key = ? AND image_id = ? AND status != 'failed'`);
  result.remaining = plan.imageIds.filter((id) => !(done.get(plan.configKey, id) as { n: number }).n).length;
  report();
  return result;
}

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

type Outcome = { status: 'valid'; answer: TeacherAnswer } | { status: 'invalid' | 'failed'; reason: string };

/**
 * Stores the outcome for one image in one transaction. A valid answer becomes proposals: a `labels` row
 * (source teacher, status proposed) and caption + Q&A `annotations`. Returns false when a valid output for the
 * same configuration already exists (another job got there first): nothing is duplicated.
 */
export function storeOutcome(
  db: Db,
  plan: Pick<BatchPlan, 'runId' | 'configKey' | 'template'>,
  img: ImageForTeacher,
  outcome: Outcome,
  usage: { promptTokens: number; completionTokens: number; costUsd: number },
  requestId: number | null,
  sourceRef: string,
  /** For a partly valid answer: which Q&A items were left out, and why. */
  note: string | null = null,
): boolean {
  return db.transaction(() => {
    const existing = db.prepare(`SELECT id, status FROM teacher_outputs WHERE config_key = ? AND image_id = ?`).get(plan.configKey, img.id) as
      { id: number; status: string } | undefined;
    if (existing?.status === 'valid') return false;
    const now = nowIso();
    let labelId: number | null = null;
    if (outcome.status === 'valid') {
      const cls = db.prepare(`SELECT id FROM classes WHERE name = ?`).get(outcome.answer.className) as { id: number } | undefined;
      if (!cls) throw new Error(`class ${outcome.answer.className} vanished from the taxonomy`);
      labelId = Number(
        db
          .prepare(
            `INSERT INTO labels (image_id, class_id, source, source_ref, status, confidence, created_at)
             VALUES (?, ?, 'teacher', ?, 'proposed', ?, ?)`,
          )
          .run(img.id, cls.id, sourceRef, outcome.answer.confidence, now).lastInsertRowid,
      );
    }
    const values = {
      run_id: plan.runId,
      image_id: img.id,
      config_key: plan.configKey,
      template_id: plan.template.id,
      status: outcome.status,
      reason: outcome.status === 'valid' ? note : outcome.reason,
      class_name: outcome.status === 'valid' ? outcome.answer.className : null,
      confidence: outcome.status === 'valid' ? outcome.answer.confidence : null,
      parsed_json: outcome.status === 'valid' ? JSON.stringify(outcome.answer) : null,
      request_id: requestId,
      label_id: labelId,
      prompt_tokens: usage.promptTokens,
      completion_tokens: usage.completionTokens,
      cost_usd: usage.costUsd,
      now,
    };
    let outputId: number;
    if (existing) {
      db.prepare(
        `UPDATE teacher_outputs SET run_id = @run_id, template_id = @template_id, status = @status, reason = @reason,
           class_name = @class_name, confidence = @confidence, parsed_json = @parsed_json, request_id = @request_id,
           label_id = @label_id, prompt_tokens = prompt_tokens + @prompt_tokens,
           completion_tokens = completion_tokens + @completion_tokens, cost_usd = cost_usd + @cost_usd, updated_at = @now
         WHERE id = ${existing.id}`,
      ).run(values);
      outputId = existing.id;
    } else {
      outputId = Number(
        db
          .prepare(
            `INSERT INTO teacher_outputs (run_id, image_id, config_key, template_id, status, reason, class_name, confidence,
               parsed_json, request_id, label_id, prompt_tokens, completion_tokens, cost_usd, created_at, updated_at)
             VALUES (@run_id, @image_id, @config_key, @template_id, @status, @reason, @class_name, @confidence,
               @parsed_json, @request_id, @label_id, @prompt_tokens, @completion_tokens, @cost_usd, @now, @now)`,
          )
          .run(values).lastInsertRowid,
      );
    }
    if (outcome.status === 'valid') {
      const ins = db.prepare(
        `INSERT INTO annotations (image_id, kind, qa_kind, question, answer, value_nm, source, source_ref, status,
           teacher_output_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'teacher', ?, 'proposed', ?, ?, ?)`,
      );
      ins.run(img.id, 'caption', null, null, outcome.answer.caption, null, sourceRef, outputId, now, now);
      for (const qa of outcome.answer.qa) {
        ins.run(img.id, 'qa', qa.kind, qa.question, qa.answer, qa.valueNm, sourceRef, outputId, now, now);
      }
    }
    return true;
  })();
}
