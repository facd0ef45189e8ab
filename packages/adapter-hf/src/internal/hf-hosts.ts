import { environment } from './secrets.js';

/** The Hub and router URLs `@huggingface/inference` builds its requests on (constants in the client). */
export const HF_HUB_URL = 'https://huggingface.co';
export const HF_ROUTER_URL = 'https://router.huggingface.co';

/** The hosts a part sends to: the Hub (model lookups) and the Inference Providers router. */
export interface HfHosts {
  hub: string;
  router: string;
}

/** Options that move the Hub and the router to a mirror or a private gateway. */
export interface HfHostOptions {
  hubUrl?: string | undefined;
  routerUrl?: string | undefined;
}

const trimSlash = (url: string): string => url.replace(/\/+$/, '');

/**
 * The Hub and router to use, read at call time: the options, else `HF_ENDPOINT` for the Hub (the
 * variable the Hugging Face tools honour for mirrors and private Hubs), else Hugging Face's own.
 */
export function resolveHfHosts(options: HfHostOptions): HfHosts {
  const endpoint = environment('HF_ENDPOINT')?.trim();
  return {
    hub: trimSlash(options.hubUrl ?? (endpoint ? endpoint : HF_HUB_URL)),
    router: trimSlash(options.routerUrl ?? HF_ROUTER_URL),
  };
}

/** True for Hugging Face's own hosts (`huggingface.co`, `*.huggingface.co`, `*.huggingface.cloud`, `hf.co`). */
export function isHuggingFaceUrl(url: string): boolean {
  try {
    return /(^|\.)(huggingface\.(co|cloud)|hf\.co)$/i.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** True when every host of `hosts` is Hugging Face's. */
export function onHuggingFaceHosts(hosts: HfHosts): boolean {
  return isHuggingFaceUrl(hosts.hub) && isHuggingFaceUrl(hosts.router);
}

/** Sends a URL the client built on Hugging Face's Hub or router to the configured ones instead. */
export function rewriteHfUrl(url: string, hosts: HfHosts): string {
  if (hosts.router !== HF_ROUTER_URL && (url === HF_ROUTER_URL || url.startsWith(`${HF_ROUTER_URL}/`))) return hosts.router + url.slice(HF_ROUTER_URL.length);
  if (hosts.hub !== HF_HUB_URL && (url === HF_HUB_URL || url.startsWith(`${HF_HUB_URL}/`))) return hosts.hub + url.slice(HF_HUB_URL.length);
  return url;
}
