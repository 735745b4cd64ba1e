export function ModerationPage() { return <p>Coming.</p>; }
