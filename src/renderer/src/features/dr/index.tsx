/** Placeholder until the demand response console lands. */
export default function DemandResponseScreen() {
  return (
    <section className="screen">
      <h1>Demand response</h1>
      <p>The demand response console is being built.</p>
    </section>
  );
}
