export function PushPage() { return <p>Coming.</p>; }
