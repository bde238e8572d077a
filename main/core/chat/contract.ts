// The chat domain's slice of the contract: grounded answers about an image, the teacher asked from the chat,
// corrections, similar images and find by text (main/core/chat).
// Types and method names only, no runtime imports: the renderer takes this through main/core/contract.ts.
import type { ImageSummary } from '../library/contract.js';

/** One question about a library image (its id) or an image file on the core's machine; nothing is saved in a chat. */
export interface AskOnceRequest {
  image: number | string;
  question: string;
}

export interface SimilarImage {
  image: ImageSummary;
  /** Cosine similarity of the student's features (1 = same texture statistics). */
  similarity: number;
  /** The reviewed class the memory holds for it. */
  className: string | null;
}

export interface StudentCapabilities {
  activeVersion: number | null;
  classify: boolean;
  similar: boolean;
  answer: boolean;
  findByText: boolean;
  /** In words: what the active model can and cannot do. */
  note: string;
}

export type ChatRole = 'user' | 'student' | 'teacher' | 'correction';

export interface ChatMessage {
  id: number;
  imageId: number;
  role: ChatRole;
  text: string;
  confidence: number | null;
  /** 'v3' for the student, the model name for the teacher, the reviewer for a correction. */
  modelRef: string | null;
  /** The question this answers, or the answer this corrects. */
  replyTo: number | null;
  /** The reviewed Q&A pair a correction became. */
  annotationId: number | null;
  createdAt: string;
  /** How a student answer was reached, saved with it (null: other roles, or an answer saved before migration 013). */
  grounding: AnswerGrounding | null;
}

export interface AskStudentRequest {
  imageId: number;
  question: string;
  /** Earlier turns; absent = the image's saved chat. */
  history?: { role: 'user' | 'student'; text: string }[];
}

export interface StudentAnswer {
  /** false: the active model cannot answer questions (nothing is made up); `note` says why. */
  supported: boolean;
  answer: string | null;
  confidence: number | null;
  modelVersion: number | null;
  note: string | null;
  question: ChatMessage | null;
  message: ChatMessage | null;
  /** How the answer was reached (intent, refusal, evidence); absent from answers of older cores. */
  grounding?: AnswerGrounding | null;
}

/** The grounded chat's account of one answer (main/core/chat). */
export interface AnswerGrounding {
  /** which | yesno | measure | calibration | describe | process | oos, or acquisition (a question about how the image was taken, answered from its metadata) */
  intent: string;
  intentProbability: number;
  refused: boolean;
  /** Why it was refused or could not be measured. */
  reason: string | null;
  /** Egress is on and the student could not answer: the chat offers to ask the teacher. */
  offerTeacher: boolean;
  /** The class the answer is about; for yes/no questions `yes` is the answer. */
  className: string | null;
  yes: boolean | null;
  /** The classifier's prediction (top 3, probabilities). */
  prediction: { className: string; probability: number }[];
  /** Reviewed images the student finds most similar. */
  similar: { imageId: number; className: string | null; similarity: number }[];
  /** The measurement used, in words (null: none). */
  measurement: string | null;
  pixelSizeNm: number | null;
  /** What the content came from, in words. */
  source: string;
}

/** Find by text, grounded in the classifier (main/core/chat/find.ts). */
export interface TextSearchResult {
  results: SimilarImage[];
  /** The text matches no class of the taxonomy well enough: nothing is a good match. */
  noGoodMatch: boolean;
  /** The class the text was read as (null: none), and how well it matched (1 = named). */
  readAs: { className: string; weight: number }[];
  match: number;
  threshold: number;
  /** Images searched (those the active version has classified) and those it has not classified yet. */
  searched: number;
  notClassified: number;
  modelVersion: number | null;
  note: string;
}

export interface ChatTeacherRequest {
  imageId: number;
  question: string;
  /** The user message this asks about (asked of the student first); absent = a new question. */
  replyTo?: number;
  streamId?: string;
}

export interface ChatCorrection {
  /** The student answer being corrected. */
  messageId: number;
  answer: string;
  reviewer: string;
}

/** The chat methods of EmmaApi (contract.ts merges every domain's). */
export interface ChatContract {
  /** The grounded answer to one question, saved nowhere (the command line's `emma ask`). */
  askStudentOnce(request: AskOnceRequest): Promise<StudentAnswer>;
  findSimilar(imageId: number, k: number): Promise<SimilarImage[]>;
  findByText(text: string, k: number): Promise<SimilarImage[]>;
  getStudentCapabilities(): Promise<StudentCapabilities>;
  /** Asks the active student about an image; the question and answer are saved in the image's chat. */
  askStudent(request: AskStudentRequest): Promise<StudentAnswer>;
  /** Asks the teacher in the image's chat ('teacher-stream' events); refused while egress is off. */
  askTeacherInChat(request: ChatTeacherRequest): Promise<ChatMessage>;
  /** Corrects a student answer in place: saved in the chat and as a reviewed Q&A pair. */
  correctChatAnswer(request: ChatCorrection): Promise<ChatMessage>;
  listChat(imageId: number): Promise<ChatMessage[]>;
  /** Images ranked by the probability that they show what a text describes, or "no good match". */
  searchImagesByText(text: string, k: number): Promise<TextSearchResult>;
}

/** Method names of ChatContract, for the bindings' allow-lists (contract.ts checks that none is missing). */
export const CHAT_METHODS = [
  'askStudentOnce',
  'findSimilar',
  'findByText',
  'getStudentCapabilities',
  'askStudent',
  'askTeacherInChat',
  'correctChatAnswer',
  'listChat',
  'searchImagesByText',
] as const satisfies readonly (keyof ChatContract)[];
