// The review domain's part of the API: queues, decisions with undo, history, bulk labels, annotations, statistics
// and exports. api.ts merges the domains' maps into one EmmaApi (contract.ts: the union of their slices).
import type { ReviewContract } from './contract.js';
import type { ReviewService } from './service.js';

export type ReviewMethod = keyof ReviewContract;

export function reviewHandlers(review: ReviewService): ReviewContract {
  return {
    getReviewQueue: (query) => review.queue(query),
    getReviewItem: async (imageId) => review.item(imageId),
    decideReview: async (request) => review.decide(request),
    undoReview: async (request) => review.undo(request),
    listReviewHistory: async (query) => review.history(query),
    assignLabels: async (request) => review.assign(request),
    addAnnotation: async (request) => review.annotate(request),
    getReviewStats: async () => review.stats(),
    exportReview: (request) => review.export(request),
    listReviewExports: async (limit) => review.exports(limit),
  };
}
