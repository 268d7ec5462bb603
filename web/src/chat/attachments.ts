import { ChatLimits } from '@voxgate/protocol';

/**
 * Images are checked and downscaled in the browser before upload: a phone photo of 4000 px is
 * mostly bytes the model never looks at, and the gateway refuses what is over its limits anyway.
 */

/** Files larger than this are not even decoded: the tab would spend hundreds of MB on pixels. */
const DECODE_LIMIT_BYTES = 5 * ChatLimits.imageBytes;

export type ImageRefusal =
  | { reason: 'not-image' }
  | { reason: 'too-large'; bytes: number };

export type PreparedImage =
  | { ok: true; blob: Blob; width: number; height: number; downscaled: boolean }
  | ({ ok: false } & ImageRefusal);

/** What the file's first bytes say it is (a pasted file's declared type cannot be trusted). */
export async function sniffImage(blob: Blob): Promise<'png' | 'jpeg' | 'gif' | 'webp' | undefined> {
  const b = new Uint8Array(await blob.slice(0, 12).arrayBuffer());
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  const riff = b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46;
  if (riff && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'webp';
  return undefined;
}

/**
 * Makes `file` ready for upload: refused when it is not a PNG, JPEG, GIF or WebP image or stays
 * over `ChatLimits.imageBytes`; downscaled to at most `ChatLimits.imageMaxSidePx` on its longest
 * side (PNG stays PNG, so the model sees exactly what the user pasted, only smaller). An image that
 * is already small enough is uploaded byte for byte as it is.
 */
export async function prepareImage(file: Blob): Promise<PreparedImage> {
  const format = await sniffImage(file);
  if (!format) return { ok: false, reason: 'not-image' };
  if (file.size > DECODE_LIMIT_BYTES) return { ok: false, reason: 'too-large', bytes: file.size };

  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return { ok: false, reason: 'not-image' };
  }
  try {
    const { width, height } = bitmap;
    const scale = Math.min(1, ChatLimits.imageMaxSidePx / Math.max(width, height));
    if (scale === 1 && file.size <= ChatLimits.imageBytes) {
      return { ok: true, blob: file, width, height, downscaled: false };
    }
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const canvas = new OffscreenCanvas(w, h);
    const context = canvas.getContext('2d');
    if (!context) return { ok: false, reason: 'not-image' };
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, 0, 0, w, h);
    // Photos stay JPEG; everything else becomes PNG, keeping transparency and sharp edges.
    let blob = await canvas.convertToBlob(format === 'jpeg' ? { type: 'image/jpeg', quality: 0.9 } : { type: 'image/png' });
    if (blob.size > ChatLimits.imageBytes && blob.type !== 'image/jpeg') {
      blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.88 });
    }
    if (blob.size > ChatLimits.imageBytes) return { ok: false, reason: 'too-large', bytes: blob.size };
    return { ok: true, blob, width: w, height: h, downscaled: true };
  } finally {
    bitmap.close();
  }
}

/** "3.2 MB": sizes in messages, with the unit both languages use. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
