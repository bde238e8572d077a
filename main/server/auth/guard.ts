// Lab-server mode's rewrite of a call's arguments before dispatch: who is asking comes from the session, not from
// what the client typed (review decisions name the signed-in user), and every path is confined to the data
// folders. Runs after the role check; arguments are validated first so the rewrite sees well-formed values.
import type {
  AddAnnotationRequest,
  AskOnceRequest,
  ClassifyFilesRequest,
  MeasureFilesRequest,
  AssignLabelsRequest,
  ChatCorrection,
  EmmaMethod,
  ImportRequest,
  ReviewDecisionRequest,
  ReviewExportRequest,
  ReviewQueueQuery,
  ReviewUndoRequest,
  SaveMaskRequest,
  SetScaleRequest,
} from '../../core/contract.js';
import { validateArguments } from '../../core/validation.js';
import type { PathConfinement } from './confine.js';
import type { User } from './users.js';

export async function labArguments(method: EmmaMethod, args: unknown, user: User, paths: PathConfinement): Promise<unknown[]> {
  const a = validateArguments(method, args);
  const as = <T>(i = 0) => a[i] as T;
  switch (method) {
    case 'startImport': {
      const req = as<ImportRequest>();
      const real: string[] = [];
      for (const p of req.paths) real.push(await paths.input(p));
      return [{ ...req, paths: real }];
    }
    case 'importModelVersion':
    case 'startEvaluation':
      return [await paths.input(as<string>())];
    case 'importMasks':
    case 'startMaskImport':
      return [await paths.input(as<string>()), user.name];
    case 'startClassifyFiles': {
      const req = as<ClassifyFilesRequest>();
      const real: string[] = [];
      for (const p of req.paths) real.push(await paths.input(p));
      return [{ ...req, paths: real }];
    }
    case 'startMeasureFiles': {
      const req = as<MeasureFilesRequest>();
      const real: string[] = [];
      for (const p of req.paths) real.push(await paths.input(p));
      return [{ ...req, paths: real, maskOut: req.maskOut === undefined ? undefined : await paths.output(req.maskOut) }];
    }
    case 'askStudentOnce': {
      const req = as<AskOnceRequest>();
      return [{ ...req, image: typeof req.image === 'string' ? await paths.input(req.image) : req.image }];
    }
    case 'exportModelVersion':
      return [a[0], await paths.output(as<string>(1))];
    case 'exportReview': {
      const req = as<ReviewExportRequest>();
      return [{ ...req, outPath: await paths.output(req.outPath), actor: user.name }];
    }
    case 'decideReview':
      return [{ ...as<ReviewDecisionRequest>(), reviewer: user.name }];
    case 'undoReview':
      // An operator undoes their own decisions; a lead may undo anyone's (both recorded as the signed-in user).
      return [{ ...as<ReviewUndoRequest>(), reviewer: user.name, ownOnly: user.role !== 'lead' }];
    case 'assignLabels':
      return [{ ...as<AssignLabelsRequest>(), reviewer: user.name }];
    case 'addAnnotation':
      return [{ ...as<AddAnnotationRequest>(), reviewer: user.name }];
    case 'correctChatAnswer':
      return [{ ...as<ChatCorrection>(), reviewer: user.name }];
    // Another endpoint or model for one call would send the lab's key where its lead did not configure it.
    case 'testTeacherConnection':
      return [];
    case 'startTeacherRun':
      return [a[0]];
    case 'setTeacherEgress':
      return [a[0], user.name];
    case 'saveImageMask':
      return [{ ...as<SaveMaskRequest>(), by: user.name }];
    case 'setImageScale':
      return [{ ...as<SetScaleRequest>(), by: user.name }];
    case 'getReviewQueue':
      return [{ ...as<ReviewQueueQuery>(), reviewer: user.name }];
    default:
      return a;
  }
}
