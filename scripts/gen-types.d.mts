export const crdPath: string;
export const typesPath: string;
export const crdModulePath: string;
export function openAPIV3Schema(crd: unknown): Record<string, unknown>;
export function typingSchema(node: unknown, path?: string[]): unknown;
export function generate(): Promise<{ types: string; crdModule: string }>;
