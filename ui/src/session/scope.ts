// What the signed-in session may do, by its token's scope (read < submit < admin): pages hide what it may not.
import { useSession } from "./useSession";

const RANK: Record<string, number> = { read: 0, submit: 1, admin: 2 };

/** Whether a session of scope `has` may do what needs scope `needs`; an unknown scope may do nothing. */
export function allows(has: string | undefined, needs: "read" | "submit" | "admin"): boolean {
  return has !== undefined && has in RANK && (RANK[has] ?? -1) >= (RANK[needs] ?? 99);
}

/** Whether the signed-in session may do what needs `needs`. */
export function useAllows(needs: "read" | "submit" | "admin"): boolean {
  return allows(useSession().data?.scope, needs);
}
