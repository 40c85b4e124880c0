/** The <option>s of onnxruntime's graph optimisation levels, most optimised first (run form and Settings). */
export function GraphOptimisationOptions() {
  return (
    <>
      <option value="all">all</option>
      <option value="extended">extended</option>
      <option value="basic">basic</option>
      <option value="disabled">disabled</option>
    </>
  );
}
