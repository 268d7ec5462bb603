import { ChatLimits, type Attachment } from '@voxgate/protocol';
import type { ServiceError } from '@voxgate/service-kit';
import { newId } from './attachment-store.js';
import { errors } from './errors.js';
import { imageComplete, sniffMedia } from './media-sniff.js';

export type AttachmentKind = Attachment['kind'];

/** The kind a client's `Content-Type` claims, or undefined for a type we do not take. */
export function claimedKind(contentType: string | undefined): AttachmentKind | 'any' | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('audio/')) return 'audio';
  // Programs that do not know the type may say so; the bytes decide.
  if (type === 'application/octet-stream') return 'any';
  return undefined;
}

/**
 * Images larger than this are refused whatever their byte size: a decoder allocates width × height
 * pixels before it reads one, so a few hundred bytes of header can claim gigabytes (a decompression
 * bomb). 16,384 px a side and 100 megapixels are above any camera or screenshot a user would send.
 */
const MAX_IMAGE_SIDE_PX = 16_384;
const MAX_IMAGE_PIXELS = 100_000_000;

export const maxBytesFor = (kind: AttachmentKind): number => (kind === 'image' ? ChatLimits.imageBytes : ChatLimits.audioBytes);

/**
 * Checks an upload against what it claims to be and the limit of what it really is, and builds its
 * record. The record's `mime` is the detected one: a JPEG sent as `image/png` is stored as JPEG.
 */
export function admitAttachment(bytes: Uint8Array, claimed: AttachmentKind | 'any'): Attachment | ServiceError {
  if (bytes.length === 0) return errors.invalid_request({ message: 'The file is empty.' });
  const sniffed = sniffMedia(bytes);
  if (!sniffed || (claimed !== 'any' && sniffed.kind !== claimed)) {
    if (claimed === 'audio') return errors.invalid_audio();
    return errors.invalid_image(claimed === 'any' ? { message: 'The file is neither a supported image nor a supported recording.' } : {});
  }
  const limit = maxBytesFor(sniffed.kind);
  if (bytes.length > limit) {
    return errors.attachment_too_large({ message: `An ${sniffed.kind} may have at most ${limit} bytes.` });
  }
  if (sniffed.kind === 'image') {
    const { widthPx, heightPx } = sniffed;
    if (widthPx > MAX_IMAGE_SIDE_PX || heightPx > MAX_IMAGE_SIDE_PX || widthPx * heightPx > MAX_IMAGE_PIXELS) {
      return errors.attachment_too_large({
        message: `An image may have at most ${MAX_IMAGE_SIDE_PX} px a side and ${MAX_IMAGE_PIXELS / 1_000_000} megapixels; this one claims ${widthPx}×${heightPx}.`,
      });
    }
    if (!imageComplete(bytes, sniffed.mime)) return errors.invalid_image({ message: 'The image is cut short: its data ends before the end its format marks.' });
  }
  const record: Attachment = { id: newId(), kind: sniffed.kind, mime: sniffed.mime, bytes: bytes.length };
  if (sniffed.kind === 'image') {
    record.width = sniffed.widthPx;
    record.height = sniffed.heightPx;
  }
  return record;
}
