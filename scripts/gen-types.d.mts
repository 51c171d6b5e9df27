export interface CrdEntry {
  kind: string;
  crdPath: string;
  typesPath: string;
  constant: string;
  filledByValidation: Record<string, string[]>;
}
export const crds: CrdEntry[];
export const crdModulePath: string;
export function openAPIV3Schema(crd: unknown): Record<string, unknown>;
export function typingSchema(
  node: unknown,
  path?: string[],
  filledByValidation?: Record<string, string[]>,
): unknown;
export function generate(): Promise<{ path: string; text: string }[]>;
