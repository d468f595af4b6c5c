/**
 * Moved to src/contracts/settings.ts. This re-export remains only for local/services.ts, which another
 * branch (issue 5 wiring) is rewriting; delete it once that file imports from src/contracts/settings.
 */
export * from '../contracts/settings';
