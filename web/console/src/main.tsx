/** The tlsql console: a small Preact app; routes live in the URL's hash so every view has a link. */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { loadSession, logout, type SessionInfo } from './api.ts';
import { CertificatesView } from './views/certificates.tsx';
import { IamView } from './views/iam.tsx';
import { InstanceView } from './views/instance.tsx';
import { InstancesView } from './views/instances.tsx';
import { ParameterGroupsView } from './views/parameter-groups.tsx';
import { TrafficView } from './views/traffic.tsx';

type Route = { view: 'instances' } | { view: 'instance'; id: string } | { view: 'certificates' } | { view: 'traffic' } | { view: 'parameter-groups' } | { view: 'iam' };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (parts[0]) {
    case 'instance':
      return parts[1] ? { view: 'instance', id: parts[1] } : { view: 'instances' };
    case 'certificates':
      return { view: 'certificates' };
    case 'traffic':
      return { view: 'traffic' };
    case 'parameter-groups':
      return { view: 'parameter-groups' };
    case 'iam':
      return { view: 'iam' };
    default:
      return { view: 'instances' };
  }
}

const NAV: { href: string; label: string; views: Route['view'][] }[] = [
  { href: '#/instances', label: 'Instances', views: ['instances', 'instance'] },
  { href: '#/certificates', label: 'Certificates', views: ['certificates'] },
  { href: '#/traffic', label: 'Traffic', views: ['traffic'] },
  { href: '#/parameter-groups', label: 'Parameter groups', views: ['parameter-groups'] },
  { href: '#/iam', label: 'IAM', views: ['iam'] },
];

function App() {
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  const [session, setSession] = useState<SessionInfo | undefined>(undefined);
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    void loadSession().then(setSession, () => {});
    return () => removeEventListener('hashchange', on);
  }, []);
  // On navigation focus moves to the new view's heading, so keyboard and screen-reader users land on
  // it; not on the first load, where the first Tab must reach the skip link.
  const navigated = useRef(false);
  useEffect(() => {
    if (navigated.current) document.querySelector<HTMLElement>('main h1')?.focus();
    navigated.current = true;
  }, [route]);
  if (!session) return <p>Loading the tlsql console…</p>;
  return (
    <>
      {/* The hash holds the route, so the skip link moves focus itself rather than navigating to #main. */}
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.querySelector<HTMLElement>('main h1')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">tlsql console</span>
        <nav aria-label="Views">
          <ul>
            {NAV.map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={n.views.includes(route.view) ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {session.principal} · {session.region}
          <button type="button" class="secondary" onClick={() => void logout()}>
            Log out
          </button>
        </span>
      </header>
      <main id="main">
        {route.view === 'instances' && <InstancesView />}
        {route.view === 'instance' && <InstanceView id={route.id} region={session.region} />}
        {route.view === 'certificates' && <CertificatesView region={session.region} />}
        {route.view === 'traffic' && <TrafficView />}
        {route.view === 'parameter-groups' && <ParameterGroupsView />}
        {route.view === 'iam' && <IamView />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
