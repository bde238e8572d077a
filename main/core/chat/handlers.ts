// The chat domain's part of the API: questions about an image (in a conversation or once), the teacher asked from
// the chat, corrections, what the active model can answer, similar images and find by text. api.ts merges the maps.
import type { ChatContract } from './contract.js';
import type { ChatApi } from './api.js';

export type ChatMethod = keyof ChatContract;

export function chatHandlers(chat: ChatApi): ChatContract {
  return {
    askStudent: (request) => chat.ask(request),
    askStudentOnce: (request) => chat.askOnce(request),
    askTeacherInChat: (request) => chat.askTeacher(request),
    correctChatAnswer: async (request) => chat.correct(request),
    listChat: async (imageId) => chat.listChat(imageId),
    getStudentCapabilities: async () => chat.capabilities(),
    findSimilar: (imageId, k) => chat.similar(imageId, k),
    findByText: (text, k) => chat.findByText(text, k),
    searchImagesByText: (text, k) => chat.searchText(text, k),
  };
}
