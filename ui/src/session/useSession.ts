// Who is signed in (GET /api/session): null when nobody is, which is what shows the sign-in form.
import { type QueryClient, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, unwrap, type Schemas } from "../api/client";

export type Session = Schemas["SessionInfo"];
export const SESSION_KEY = ["session"] as const;

async function fetchSession(): Promise<Session | null> {
  try {
    return await unwrap(api.GET("/api/session"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Drop what another session read; the session's own query stays, since the app shell watches it. */
function forgetAllButTheSession(client: QueryClient): void {
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
}

export function useSession() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: fetchSession, staleTime: 60_000 });
}

/** Sign in with a token pasted in the form; the answer sets the session cookie. */
export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => unwrap(api.POST("/api/session", { body: { token } })),
    onSuccess: (session) => {
      forgetAllButTheSession(client);
      client.setQueryData(SESSION_KEY, session);
    },
  });
}

export function useSignOut() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      const { response } = await api.DELETE("/api/session");
      if (!response.ok && response.status !== 401) throw new ApiError(response.status, response.statusText);
    },
    onSuccess: () => {
      forgetAllButTheSession(client);
      client.setQueryData(SESSION_KEY, null);
    },
  });
}
