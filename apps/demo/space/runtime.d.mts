/** How the Space image starts the app: its CMD's node options and entry, and its ENV values. */
export interface SpaceRuntime {
  env: Record<string, string>;
  nodeArgs: string[];
  entry: string;
}
export function parseSpaceRuntime(text: string): SpaceRuntime;
export function spaceRuntime(root?: string): SpaceRuntime;
