import type { PDFRawStream } from "pdf-lib";
import { decodePDFRawStream, PDFArray, PDFDocument } from "pdf-lib";

/** A PDF made by pdf-lib, loaded back, with the text its pages draw (every `<hex> Tj`, in order). */
export async function pdfText(bytes: Uint8Array): Promise<{ pdf: PDFDocument; pages: string[] }> {
  const pdf = await PDFDocument.load(bytes);
  const pages = pdf.getPages().map((page) => {
    const contents = page.node.Contents();
    const streams =
      contents instanceof PDFArray ? contents.asArray().map((ref) => pdf.context.lookup(ref)) : [contents];
    const ops = streams
      .map((stream) => new TextDecoder("latin1").decode(decodePDFRawStream(stream as PDFRawStream).decode()))
      .join("\n");
    return [...ops.matchAll(/<([0-9A-Fa-f]*)>\s*Tj/g)]
      .map((m) => new TextDecoder("windows-1252").decode(hexBytes(m[1]!)))
      .join("\n");
  });
  return { pdf, pages };
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
