/** A table cell: Markdown would read <name> as an HTML tag and | as a column break. */
export const cell = (text: string): string =>
  text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, ' ')

/** Inline code in a table cell: only | needs escaping there. */
export const codeCell = (text: string): string => `\`${text.replace(/\|/g, '\\|')}\``
