export function AuditPage() { return <p>Coming.</p>; }
