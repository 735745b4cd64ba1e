export function App() {
  return (
    <main>
      <h1>Rill</h1>
      <p>The web app is being built.</p>
    </main>
  );
}
