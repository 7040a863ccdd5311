/**
 * Reading deploy/kubernetes/ for the static deployment tests: every manifest as data, the
 * Deployment's one container, its environment split into literal values and Secret references,
 * and port names resolved to numbers. Only the fields the tests read are typed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const root = path.resolve(__dirname, '..', '..');
export const manifestDir = path.join(root, 'deploy', 'kubernetes');

export type Labels = Record<string, string>;
export interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; labels?: Labels };
  /** Each kind's spec is read by the test that knows its shape. */
  spec?: any;
  [field: string]: unknown;
}

export interface HttpProbe {
  httpGet?: { path?: string; port?: string | number; scheme?: string };
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name?: string; key?: string; optional?: boolean } };
}

export interface Container {
  name?: string;
  ports?: { name?: string; containerPort?: number }[];
  env?: EnvVar[];
  startupProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  lifecycle?: { preStop?: { sleep?: { seconds?: number }; exec?: { command?: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name?: string; mountPath?: string; readOnly?: boolean }[];
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}

/** The manifest files (the kustomization is not a resource) and every document in them. */
export const manifestFiles = readdirSync(manifestDir)
  .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
  .sort();
export const manifests: Manifest[] = manifestFiles.flatMap((f) =>
  parseAllDocuments(readFileSync(path.join(manifestDir, f), 'utf8'))
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((doc): doc is Manifest => doc !== null),
);

export const ofKind = (kind: string): Manifest[] => manifests.filter((m) => m.kind === kind);

/** The one manifest of a kind; a second one would leave the tests unsure which is meant. */
export function only(kind: string): Manifest {
  const found = ofKind(kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} in deploy/kubernetes, found ${found.length}`);
  return found[0]!;
}

/** The manifest of a kind with this name (several kinds have one for the api and one for the cache). */
export function named(kind: string, name: string): Manifest {
  const found = ofKind(kind).filter((m) => m.metadata?.name === name);
  if (found.length !== 1)
    throw new Error(`expected one ${kind} named ${name} in deploy/kubernetes, found ${found.length}`);
  return found[0]!;
}

/** The NetworkPolicy of this name. */
export const policyOf = (name: string): Manifest => named('NetworkPolicy', name);

/** The api's Deployment (cache.yaml has the cache's). */
export const deployment = named('Deployment', 'specgate');
export const podSpec = deployment.spec?.template?.spec ?? {};
export const podLabels: Labels = deployment.spec?.template?.metadata?.labels ?? {};
const containers: Container[] = podSpec.containers ?? [];
if (containers.length !== 1) throw new Error(`expected one container in the Deployment, found ${containers.length}`);
export const container: Container = containers[0]!;

export const envVars: EnvVar[] = container.env ?? [];
/** The environment written in the manifest as values (Secret references left out). */
export const literalEnv: Record<string, string> = Object.fromEntries(
  envVars.filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]),
);
/** The variables that come from a Secret, by name. */
export const secretEnv = new Map(
  envVars.flatMap((e) => (e.valueFrom?.secretKeyRef ? [[e.name, e.valueFrom.secretKeyRef]] : [])),
);

/** A container port given by name or number, as a number (undefined: the container has no such port). */
export function containerPort(port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return container.ports?.some((p) => p.containerPort === port) ? port : undefined;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** True when every label of `selector` is on the pods: the selector picks the Deployment's pods. */
export const selectsPods = (selector: Labels | undefined): boolean =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => podLabels[k] === v);
