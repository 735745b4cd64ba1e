export function ProjectsPage() { return <p>Coming.</p>; }
