// Choosing a project's members: a filterable list of checkboxes in a labelled group.

import { useId, useMemo, useState } from 'react';
import type { Member } from '../../hub/types';
import { initials } from '../common/format';
import { matches } from './filter';

interface Props {
  members: Member[];
  chosen: Set<string>;
  onChange: (chosen: Set<string>) => void;
}

export function MemberPicker({ members, chosen, onChange }: Props) {
  const [filter, setFilter] = useState('');
  const id = useId();
  const shown = useMemo(() => members.filter((m) => matches(filter, m.name, m.email)), [members, filter]);

  function toggle(mid: string, on: boolean) {
    const next = new Set(chosen);
    if (on) next.add(mid);
    else next.delete(mid);
    onChange(next);
  }

  return (
    <fieldset className="picker">
      <legend className="field__label">
        Members <span className="field__aside">{chosen.size} chosen</span>
      </legend>
      <label className="visually-hidden" htmlFor={`${id}-filter`}>
        Find members to add
      </label>
      <input
        id={`${id}-filter`}
        className="input"
        type="search"
        placeholder="Find by name or email"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
      />
      <ul className="picker__list">
        {shown.map((m) => (
          <li key={m.id}>
            <label className="picker__item">
              <input type="checkbox" checked={chosen.has(m.id)} onChange={(e) => toggle(m.id, e.target.checked)} />
              <span className="avatar avatar--sm" aria-hidden="true">
                {initials(m.name)}
              </span>
              <span className="picker__name">{m.name}</span>
              <span className="picker__email">{m.email}</span>
            </label>
          </li>
        ))}
        {shown.length === 0 ? <li className="picker__none">No member matches “{filter}”.</li> : null}
      </ul>
    </fieldset>
  );
}
