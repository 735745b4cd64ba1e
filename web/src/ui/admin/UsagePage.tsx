export function UsagePage() { return <p>Coming.</p>; }
