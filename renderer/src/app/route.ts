// Views are addressed by the URL hash (#library, #teacher, ...), so reload and back/forward keep the place.
import { useEffect, useState } from 'react';

/** Every view the sidebar offers, in order. Add a view here and render it in App.tsx. */
export const VIEWS = [
  { id: 'library', title: 'Library' },
  { id: 'teacher', title: 'Teacher' },
  { id: 'review', title: 'Review' },
  { id: 'train', title: 'Train' },
  { id: 'chat', title: 'Chat' },
  { id: 'audit', title: 'Audit' },
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];

function current(): ViewId {
  const id = window.location.hash.replace(/^#/, '').split('/')[0];
  return (VIEWS.find((v) => v.id === id)?.id ?? 'library') as ViewId;
}

export function useRoute(): ViewId {
  const [route, setRoute] = useState<ViewId>(current);
  useEffect(() => {
    const onHash = () => setRoute(current());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}
