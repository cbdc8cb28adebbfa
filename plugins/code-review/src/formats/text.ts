/** Text trimmed and ended with a full stop unless it already ends a sentence (SARIF asks messages to be sentences). */
export function sentence(text: string): string {
  const t = text.trim();
  return t === '' || /[.!?:]$/.test(t) ? t : `${t}.`;
}

/** Text on one line: line breaks and runs of whitespace made one space. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
