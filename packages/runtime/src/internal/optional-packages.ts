/** Whether `error` says that the package `name` (or a subpath of it) is not installed, not that something it imports failed. */
export function isNotInstalled(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') return false;
  const message = error instanceof Error ? error.message : String(error);
  const bare = name.split('/').slice(0, name.startsWith('@') ? 2 : 1).join('/');
  return [name, bare].some((n) => message.includes(`'${n}'`) || message.includes(`"${n}"`) || message.includes(`${n}/`));
}
