/**
 * IAM: users (with their access keys and policies) and roles (with their policies). A new access key's secret is shown
 * once, in the response to its creation, and never again (the API does not return it later).
 */
import { useState } from 'preact/hooks';
import { call } from '../api.ts';
import { arr, formatDate, str, usePolling } from '../util.ts';
import { Message } from './common.tsx';

interface User {
  UserName: string;
  Arn: string;
  CreateDate: string;
}
interface Role {
  RoleName: string;
  Arn: string;
  CreateDate: string;
  Description?: string;
}
interface Key {
  AccessKeyId: string;
  Status: string;
  CreateDate: string;
}

async function load() {
  const [users, roles] = await Promise.all([call<{ Users?: User[] }>('ListUsers'), call<{ Roles?: Role[] }>('ListRoles')]);
  const details = await Promise.all(
    arr<User>(users.Users).map(async (u) => {
      const [keys, policies] = await Promise.all([
        call<{ AccessKeyMetadata?: Key[] }>('ListAccessKeys', { UserName: u.UserName }),
        call<{ PolicyNames?: string[] }>('ListUserPolicies', { UserName: u.UserName }),
      ]);
      return { user: u, keys: arr<Key>(keys.AccessKeyMetadata), policies: arr<string>(policies.PolicyNames) };
    }),
  );
  const roleDetails = await Promise.all(
    arr<Role>(roles.Roles).map(async (r) => {
      const policies = await call<{ PolicyNames?: string[] }>('ListRolePolicies', { RoleName: r.RoleName });
      return { role: r, policies: arr<string>(policies.PolicyNames) };
    }),
  );
  return { users: details, roles: roleDetails };
}

export function IamView() {
  const iam = usePolling(load, 10_000);
  const [name, setName] = useState('');
  const [message, setMessage] = useState<{ error?: string; info?: string }>({});
  const [secret, setSecret] = useState<{ id: string; secret: string } | undefined>(undefined);
  const act = async (what: string, f: () => Promise<void>) => {
    setMessage({});
    try {
      await f();
      setMessage({ info: what });
      await iam.refresh();
    } catch (e) {
      setMessage({ error: `${what} failed: ${(e as Error).message}` });
    }
  };
  const createUser = () => act(`Created user ${name}`, async () => void (await call('CreateUser', { UserName: name })));
  const createKey = (user: string) =>
    act(`Created an access key for ${user}`, async () => {
      const r = await call<{ AccessKey?: { AccessKeyId: string; SecretAccessKey: string } }>('CreateAccessKey', { UserName: user });
      if (r.AccessKey) setSecret({ id: r.AccessKey.AccessKeyId, secret: r.AccessKey.SecretAccessKey });
    });
  return (
    <>
      <h1 tabIndex={-1}>IAM</h1>
      <Message error={iam.error ?? message.error} info={message.info} />
      {secret && (
        <div class="secret-once" role="alert">
          <p>
            <strong>Shown once:</strong> access key <code>{secret.id}</code>, secret <code>{secret.secret}</code>. Store it now; it cannot be
            shown again.
          </p>
          <button type="button" onClick={() => setSecret(undefined)}>
            I have stored it
          </button>
        </div>
      )}
      <section class="panel" aria-labelledby="new-user-h">
        <h2 id="new-user-h">New user</h2>
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            void createUser();
          }}
        >
          <label for="new-user">User name</label>
          <input id="new-user" value={name} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <button type="submit">Create user</button>
        </form>
      </section>
      <table id="users">
        <caption>Users: access keys sign IAM database authentication tokens; policies allow rds-db:connect</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Created</th>
            <th scope="col">Access keys</th>
            <th scope="col">Policies</th>
            <th scope="col">
              <span class="muted">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(iam.data?.users ?? []).map(({ user, keys, policies }) => (
            <tr key={user.UserName}>
              <th scope="row">{user.UserName}</th>
              <td>{formatDate(user.CreateDate)}</td>
              <td>
                {keys.map((k) => (
                  <div key={k.AccessKeyId}>
                    <code>{k.AccessKeyId}</code> {k.Status}
                  </div>
                ))}
              </td>
              <td>{policies.join(', ')}</td>
              <td>
                <button type="button" class="secondary" onClick={() => void createKey(user.UserName)}>
                  Create access key
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <table id="roles">
        <caption>Roles (assumed through STS)</caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">ARN</th>
            <th scope="col">Created</th>
            <th scope="col">Description</th>
            <th scope="col">Policies</th>
          </tr>
        </thead>
        <tbody>
          {(iam.data?.roles ?? []).map(({ role: r, policies }) => (
            <tr key={r.RoleName}>
              <th scope="row">{r.RoleName}</th>
              <td>
                <code>{r.Arn}</code>
              </td>
              <td>{formatDate(r.CreateDate)}</td>
              <td>{str(r.Description)}</td>
              <td>{policies.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
