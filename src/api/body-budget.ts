/**
 * A budget of request-body bytes buffered at once across all requests (`BODY_BYTES_IN_FLIGHT`).
 * A webhook body is read into memory before its signature can be checked, so each one is an
 * unauthenticated cost; the per-route limits bound one request, this bounds them all together.
 * A body reserves its declared `Content-Length` (or, sent chunked, its route's whole limit)
 * before a byte is read, and gives it back when its response is over.
 */
export class BodyBudget {
  private reserved = 0;

  constructor(readonly capacityBytes: number) {}

  /** The bytes reserved now. */
  get bytesInFlight(): number {
    return this.reserved;
  }

  /** Reserve `bytes`: a function that gives them back (once, however often it is called), or null when they do not fit. */
  tryReserve(bytes: number): (() => void) | null {
    if (this.reserved + bytes > this.capacityBytes) return null;
    this.reserved += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved -= bytes;
    };
  }
}
