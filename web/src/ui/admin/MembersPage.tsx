export function MembersPage() { return <p>Coming.</p>; }
