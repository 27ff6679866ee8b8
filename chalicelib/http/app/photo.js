// Photos are resized on the device before upload: at most 1600 px on the long side, JPEG.
export const MAX_SIDE = 1600;

export async function resize(file, maxSide = MAX_SIDE, quality = 0.85) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const h = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = w; canvas.height = h;
  canvas.getContext("2d").drawImage(bitmap, 0, 0, w, h);
  bitmap.close && bitmap.close();
  const blob = await new Promise((ok) => canvas.toBlob(ok, "image/jpeg", quality));
  return { blob, width: w, height: h };
}
