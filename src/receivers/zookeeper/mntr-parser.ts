/**
 * One endpoint's mntr parser. A server answers the same keys in the same order probe after probe, so the parser
 * remembers the previous reply's lines (an MntrLayout) and reads the next reply against them: one indexOf per line
 * finds the next line's head (a line feed, `zk_<key>`, a tab: the key expected there) in place, each value is read
 * in place (decimals digit by digit), string values are compared in place with the remembered ones. While every
 * line matches, a reply costs one array of numbers: no Map, no key string. At the first difference (a key added,
 * missing or moved, an odd or blank line, a string value that changed or a number that became a string) the reply
 * is parsed in full (parseMntr) and its lines remembered instead.
 */
import { LaidOutNumbers, layoutOf, type MntrLayout } from './mntr-layout.js';
import { numberAt, parseMntr, readPlainNumber, skipSpaceBack, skipSpaceForward, type MntrReply } from './parse.js';

const NO_ODD_LINES: readonly string[] = Object.freeze([]);

export class MntrParser {
  private layout: MntrLayout | undefined;

  /** A function, not a method: the transport calls it unbound, as it does every command's parser. */
  readonly parse = (reply: string): MntrReply => {
    const layout = this.layout;
    const values = layout && readAgainst(reply, layout);
    if (values) return laidOutReply(layout, values);
    const lineKeys: string[] = [];
    // Throws on a reply that is no mntr at all; the layout is kept for the next one.
    const full = parseMntr(reply, lineKeys);
    this.layout = layoutOf(full, lineKeys);
    if (!this.layout) return full;
    const inOrder: number[] = [];
    full.numbers.forEach((value) => inOrder.push(value));
    return laidOutReply(this.layout, inOrder);
  };
}

const laidOutReply = (layout: MntrLayout, inOrder: readonly number[]): MntrReply => ({
  numbers: new LaidOutNumbers(layout, inOrder),
  strings: layout.strings,
  oddLines: NO_ODD_LINES,
});

/**
 * The number values of `reply` in `layout`'s order, or undefined unless its lines are exactly `layout`'s lines: then
 * they are what parseMntr reads. A value runs from its line's tab to the next line's head, so it must hold no line
 * feed (a line feed there is another line: an odd or blank one). No checkCommonReplies: a reply that matches a
 * layout (made from a reply that passed it) line for line is an mntr reply.
 */
function readAgainst(reply: string, layout: MntrLayout): number[] | undefined {
  const { heads, stringLines, stringValues } = layout;
  const first = heads[0]!;
  // The first line has no line feed before it.
  if (!matchesAt(reply, 0, first, 1)) return undefined;
  const values = new Array<number>(layout.numberCount);
  let numbers = 0;
  let stringsRead = 0;
  let valueStart = first.length - 1;
  for (let line = 0; line < heads.length; line++) {
    const nextHead = heads[line + 1];
    let valueEnd: number;
    if (nextHead !== undefined) {
      valueEnd = reply.indexOf(nextHead, valueStart);
      if (valueEnd === -1) return undefined;
    } else {
      // The last line: only a line feed may follow it.
      valueEnd = reply.indexOf('\n', valueStart);
      if (valueEnd === -1) valueEnd = reply.length;
      else if (valueEnd !== reply.length - 1) return undefined;
    }
    const from = skipSpaceForward(reply, valueStart, valueEnd);
    const to = skipSpaceBack(reply, from, valueEnd);
    if (stringLines[stringsRead] === line) {
      // The remembered value is trimmed and no number: the same characters make the same string value again.
      const text = stringValues[stringsRead++]!;
      if (to - from !== text.length || !reply.startsWith(text, from)) return undefined;
    } else {
      const value = valueAt(reply, from, to);
      if (value === undefined) return undefined;
      values[numbers++] = value;
    }
    if (nextHead !== undefined) valueStart = valueEnd + nextHead.length;
  }
  return values;
}

/** numberAt, refusing a value with a line feed in it (numberAt's slow route trims line feeds away). */
function valueAt(reply: string, from: number, to: number): number | undefined {
  const plain = readPlainNumber(reply, from, to);
  if (plain !== undefined) return plain;
  const lineFeed = reply.indexOf('\n', from);
  return lineFeed !== -1 && lineFeed < to ? undefined : numberAt(reply, from, to);
}

/** Whether `text` has `part` from its index `partFrom` on at `at` (a character loop: a slice would be garbage). */
function matchesAt(text: string, at: number, part: string, partFrom: number): boolean {
  const length = part.length - partFrom;
  if (at + length > text.length) return false;
  for (let i = 0; i < length; i++) if (text.charCodeAt(at + i) !== part.charCodeAt(partFrom + i)) return false;
  return true;
}
