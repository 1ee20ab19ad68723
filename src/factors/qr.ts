import QRCode from 'qrcode';

const MAX_TEXT = 2048;

/**
 * The QR code of `text` as an SVG element, rendered on the server so the enrollment page
 * needs no script. The renderer only emits paths; the check keeps that promise explicit
 * because the markup is inserted into the page unescaped.
 */
export async function qrSvg(text: string): Promise<string> {
  if (!text || text.length > MAX_TEXT) throw new Error('QR code text must be 1 to 2048 characters');
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  if (/<script|\son\w+\s*=|javascript:/i.test(svg)) throw new Error('QR renderer produced active content');
  return svg;
}
