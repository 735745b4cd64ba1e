export function IntegrationPage() { return <p>Coming.</p>; }
