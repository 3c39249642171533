// The typed client of duto's REST API, generated types (schema.d.ts) over openapi-fetch. The browser sends the
// session cookie by itself; a request that changes something also carries X-Duto-Portal, the header the server asks
// of a cookie-signed request before it honours the cookie for anything but reading.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

export const PORTAL_HEADER = "X-Duto-Portal";

const portalHeader: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      request.headers.set(PORTAL_HEADER, "1");
    }
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? "",
  credentials: "same-origin",
});
api.use(portalHeader);

/** An answer of the API other than 2xx: its status and the problem's `detail`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

function detailOf(error: unknown, response: Response): string {
  if (error && typeof error === "object" && "detail" in error) {
    const detail = (error as { detail: unknown }).detail;
    return typeof detail === "string" ? detail : JSON.stringify(detail);
  }
  return `${response.status} ${response.statusText}`;
}

/** The data of an openapi-fetch answer, or an ApiError: what a TanStack Query `queryFn` returns. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || data === undefined) {
    throw new ApiError(response.status, detailOf(error, response));
  }
  return data;
}
