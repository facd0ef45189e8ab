// Preloaded (node --import) into the demo server by the load benchmark: requests to
// huggingface.co go to the fake Hugging Face service at FAKE_HF_URL instead. Benchmark use only.
const target = process.env.FAKE_HF_URL;
if (target) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url =
      typeof input === "string"
        ? input
        : input instanceof URL
        ? input.href
        : input.url;
    const rewritten = url.replace(
      /^https:\/\/(router\.)?huggingface\.co/,
      target
    );
    return realFetch(rewritten === url ? input : rewritten, init);
  };
}
