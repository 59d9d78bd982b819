import type { PDFFont, PDFPage } from "pdf-lib";
import { PDFDocument, rgb, StandardFonts } from "pdf-lib";
import type { InvoiceDocument } from "./invoice-document";

// The invoice as a PDF (API §11), made in the Worker with pdf-lib (pure JavaScript, no
// browser): the same InvoiceDocument as the hosted page, laid out on A4 pages. The standard
// Helvetica needs no font file; it encodes WinAnsi (Latin-1 and a few more), so a character
// outside it is drawn as "?" rather than failing the whole file.

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 48;
const SIZE = 10;
const LEADING = 15;

export async function renderInvoicePdf(doc: InvoiceDocument, created: Date): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(doc.title);
  pdf.setAuthor(doc.seller.name);
  pdf.setSubject(`Invoice ${doc.number}`);
  pdf.setCreator("Billify");
  pdf.setProducer("Billify (pdf-lib)");
  pdf.setCreationDate(created);
  pdf.setModificationDate(created);
  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  const accent = hexColor(doc.seller.accentColor);
  const grey = rgb(0.38, 0.43, 0.49);
  const width = A4[0] - 2 * MARGIN;

  let page: PDFPage = pdf.addPage(A4);
  let y = A4[1] - MARGIN;
  const newPageIfNeeded = (height: number) => {
    if (y - height >= MARGIN) return;
    page = pdf.addPage(A4);
    y = A4[1] - MARGIN;
  };
  const text = (value: string, x: number, font: PDFFont, size = SIZE, color = rgb(0.12, 0.16, 0.2)) =>
    page.drawText(encodable(value, font), { x, y, size, font, color });
  const right = (value: string, font: PDFFont, size = SIZE) => {
    const safe = encodable(value, font);
    page.drawText(safe, { x: MARGIN + width - font.widthOfTextAtSize(safe, size), y, size, font });
  };
  /** A label and an amount on one row; a long label wraps inside the space the amount leaves. */
  const row = (label: string, amount: string, font: PDFFont, indent = 0, size = SIZE) => {
    const room = width - indent - font.widthOfTextAtSize(encodable(amount, font), size) - 16;
    const wrapped = wrap(encodable(label, font), font, size, room);
    newPageIfNeeded(wrapped.length * LEADING);
    right(amount, font, size);
    for (const part of wrapped) {
      text(part, MARGIN + indent, font, size);
      y -= LEADING;
    }
  };

  page.drawRectangle({ x: 0, y: A4[1] - 6, width: A4[0], height: 6, color: accent });
  text(doc.seller.name, MARGIN, bold, 16, accent);
  y -= 30;
  text(`Invoice ${doc.number}`, MARGIN, bold, 20);
  y -= 24;
  const to = [doc.billedTo.name, doc.billedTo.email].filter(Boolean).join(" · ");
  if (to) {
    text(`Billed to: ${to}`, MARGIN, regular);
    y -= LEADING * 1.5;
  }
  for (const [label, value] of doc.facts) {
    newPageIfNeeded(LEADING);
    text(label, MARGIN, regular, SIZE, grey);
    text(value, MARGIN + 110, regular);
    y -= LEADING;
  }
  y -= LEADING;
  newPageIfNeeded(LEADING * 2);
  text("Description", MARGIN, bold, SIZE, grey);
  right("Amount", bold);
  y -= 6;
  page.drawLine({ start: { x: MARGIN, y }, end: { x: MARGIN + width, y }, thickness: 0.5, color: grey });
  y -= LEADING;
  for (const line of doc.lines) {
    row(line.description, line.amount, regular);
    newPageIfNeeded(LEADING);
    text(line.detail, MARGIN + 8, regular, 8.5, grey);
    y -= LEADING;
    for (const [label, amount] of line.adjustments) row(label, amount, regular, 14, 9);
  }
  y -= 4;
  page.drawLine({ start: { x: MARGIN, y: y + 8 }, end: { x: MARGIN + width, y: y + 8 }, thickness: 0.5, color: grey });
  for (const [label, amount] of doc.totals) {
    const strong = label === "Total" || label === "Amount remaining";
    row(label, amount, strong ? bold : regular);
  }
  y -= LEADING;
  newPageIfNeeded(LEADING * 2);
  text("Payments", MARGIN, bold, 12);
  y -= LEADING * 1.3;
  if (doc.payments.length === 0) {
    text("No payment yet.", MARGIN, regular, SIZE, grey);
    y -= LEADING;
  }
  for (const p of doc.payments) {
    row(`${p.date} · ${p.method} · ${p.status}${p.note ? ` (${p.note})` : ""}`, p.amount, regular);
  }
  return pdf.save();
}

/** The text with every character the font cannot encode replaced by "?". */
function encodable(value: string, font: PDFFont): string {
  let out = "";
  for (const ch of value) {
    try {
      font.encodeText(ch);
      out += ch;
    } catch {
      out += "?";
    }
  }
  return out;
}

/** Greedy word wrap to `room` points. */
function wrap(value: string, font: PDFFont, size: number, room: number): string[] {
  const words = value.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let current = "";
  for (const word of words) {
    const next = current ? `${current} ${word}` : word;
    if (current && font.widthOfTextAtSize(next, size) > room) {
      lines.push(current);
      current = word;
    } else current = next;
  }
  lines.push(current);
  return lines;
}

function hexColor(hex: string) {
  const n = Number.parseInt(hex.slice(1), 16);
  return rgb(((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255);
}
