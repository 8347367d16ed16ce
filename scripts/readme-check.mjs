// The README's table of contents must list every section (`##`) and input group (`###` under
// Inputs), so that a section added later is not left out of it. Takes the README's text; returns
// the problems (empty when none).

/** GitHub's heading anchor: lower-cased, punctuation but `-` and `_` dropped, spaces to `-`. */
export function anchor(heading) {
  return heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')
}

/** @param {string} readme */
export function tocProblems(readme) {
  const headings = []
  let code = false
  for (const line of readme.split('\n')) {
    if (line.startsWith('```')) code = !code
    const m = code ? null : /^(##|###) (.+)$/.exec(line)
    if (m && m[2] !== 'Contents') headings.push(m[2])
  }
  const start = readme.search(/^## Contents$/m)
  if (start < 0) return ['README.md has no "## Contents" section']
  const rest = readme.slice(start + 1)
  const toc = rest.slice(0, rest.search(/^## /m))
  return headings.filter((h) => !toc.includes(`](#${anchor(h)})`)).map((h) => `README.md's Contents does not link the section "${h}" (#${anchor(h)})`)
}
