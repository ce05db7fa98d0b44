/** Placeholder until the configuration screens land (generated from /api/meta/entities). */
export default function ConfigurationScreen() {
  return (
    <section className="screen">
      <h1>Configuration</h1>
      <p>The configuration screens are being built.</p>
    </section>
  );
}
