/** Parameter groups: list, and view and edit one group's parameters (ModifyDBParameterGroup). */
import { useState } from 'preact/hooks';
import { call, callAll } from '../api.ts';
import { str, usePolling } from '../util.ts';
import { Message } from './common.tsx';

interface Group {
  DBParameterGroupName: string;
  DBParameterGroupFamily: string;
  Description: string;
}
interface Parameter {
  ParameterName: string;
  ParameterValue?: string;
  Description?: string;
  Source?: string;
  ApplyType?: string;
  AllowedValues?: string;
  IsModifiable?: string;
}

export function ParameterGroupsView() {
  const groups = usePolling(() => callAll<Group>('DescribeDBParameterGroups', 'DBParameterGroups'), 15_000);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  return (
    <>
      <h1 tabIndex={-1}>Parameter groups</h1>
      <Message error={groups.error} />
      <table id="parameter-groups">
        <caption>DB parameter groups</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Family</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {(groups.data ?? []).map((g) => (
            <tr key={g.DBParameterGroupName}>
              <th scope="row">
                <button type="button" class="secondary" aria-pressed={selected === g.DBParameterGroupName} onClick={() => setSelected(g.DBParameterGroupName)}>
                  {g.DBParameterGroupName}
                </button>
              </th>
              <td>{g.DBParameterGroupFamily}</td>
              <td>{g.Description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {selected && <Parameters key={selected} group={selected} />}
    </>
  );
}

function Parameters({ group }: { group: string }) {
  const params = usePolling(() => callAll<Parameter>('DescribeDBParameters', 'Parameters', { DBParameterGroupName: group }), 30_000, [group]);
  const [filter, setFilter] = useState('');
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ error?: string; info?: string }>({});
  const isDefault = group.startsWith('default.');
  const save = async (p: Parameter) => {
    setMessage({});
    try {
      await call('ModifyDBParameterGroup', {
        DBParameterGroupName: group,
        'Parameters.Parameter.1.ParameterName': p.ParameterName,
        'Parameters.Parameter.1.ParameterValue': edits[p.ParameterName] ?? '',
        'Parameters.Parameter.1.ApplyMethod': p.ApplyType === 'static' ? 'pending-reboot' : 'immediate',
      });
      setMessage({ info: `${p.ParameterName} set to ${edits[p.ParameterName] ?? ''}` });
      await params.refresh();
    } catch (e) {
      setMessage({ error: (e as Error).message });
    }
  };
  const shown = (params.data ?? []).filter((p) => p.ParameterName.includes(filter.trim()));
  return (
    <section class="panel" aria-labelledby="params-h">
      <h2 id="params-h">
        Parameters of <code>{group}</code>
      </h2>
      {isDefault && <p class="muted">Default groups cannot be modified (as in RDS): create a group with tlsql create-db-parameter-group to edit values.</p>}
      <Message error={params.error ?? message.error} info={message.info} />
      <div class="row">
        <label for="param-filter">Filter by name</label>
        <input id="param-filter" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        <span class="muted">
          {shown.length} of {params.data?.length ?? 0}
        </span>
      </div>
      <table>
        <caption>Parameters (first 200 matching)</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
            <th scope="col">Source</th>
            <th scope="col">Apply type</th>
            <th scope="col">Allowed values</th>
          </tr>
        </thead>
        <tbody>
          {shown.slice(0, 200).map((p) => {
            const editable = !isDefault && p.IsModifiable === 'true';
            return (
              <tr key={p.ParameterName}>
                <th scope="row">
                  <code>{p.ParameterName}</code>
                </th>
                <td>
                  {editable ? (
                    <span class="row">
                      <input
                        aria-label={`Value of ${p.ParameterName}`}
                        value={edits[p.ParameterName] ?? str(p.ParameterValue)}
                        onInput={(e) => setEdits({ ...edits, [p.ParameterName]: (e.target as HTMLInputElement).value })}
                      />
                      <button type="button" disabled={edits[p.ParameterName] === undefined} onClick={() => void save(p)}>
                        Save
                      </button>
                    </span>
                  ) : (
                    <code>{str(p.ParameterValue)}</code>
                  )}
                </td>
                <td>{str(p.Source)}</td>
                <td>{str(p.ApplyType)}</td>
                <td>{str(p.AllowedValues)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
