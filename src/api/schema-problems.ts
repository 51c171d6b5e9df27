/**
 * ajv's errors on a Rollout, said as Problems: the field, what is wrong with it in words, and
 * the fix, from the schema's own limits and descriptions.
 */
import type { ErrorObject } from 'ajv';
import { DURATION_PATTERN } from './duration.js';
import { describeValue as describe, fieldPath, type Problem } from './problems.js';
import type { SchemaNode } from './schema-check.js';

export function problemFromError(error: ErrorObject): Problem {
  const parent = (error.parentSchema ?? {}) as SchemaNode;
  const params = error.params as Record<string, unknown>;
  const at = fieldPath(error.instancePath);
  const got = describe(error.data);
  switch (error.keyword) {
    case 'required': {
      const field = String(params.missingProperty);
      return {
        path: fieldPath(error.instancePath, field),
        message: 'is required',
        fix: `set ${field}${hint(propertySchema(parent, field))}`,
      };
    }
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const known = Object.keys((parent.properties ?? {}) as SchemaNode);
      const near = known.find((k) => k.toLowerCase() === field.toLowerCase());
      return {
        path: fieldPath(error.instancePath, field),
        message: `is not a field of ${at || 'a Rollout'}`,
        fix: near
          ? `did you mean ${near}? Field names are case-sensitive`
          : `remove it or correct its name; the fields are ${known.join(', ')}`,
      };
    }
    case 'oneOf':
      return oneOfProblem(at, parent, params.passingSchemas);
    case 'enum': {
      const allowed = (parent.enum as unknown[]).map(String);
      return {
        path: at,
        message: `must be one of ${allowed.join(', ')}; got ${got}`,
        fix: `use one of: ${allowed.join(' | ')}`,
      };
    }
    case 'type':
    case 'anyOf':
      return typeProblem(at, parent, got);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {
        path: at,
        message: `must be ${BOUND_WORDS[error.keyword]} ${String(params.limit)}; got ${got}`,
        fix: `use ${rangeText(parent)}`,
      };
    case 'pattern':
    case 'minLength':
    case 'maxLength':
      return stringProblem(at, parent, error, got);
    case 'minItems':
      return {
        path: at,
        message: `must have at least ${String(params.limit)} item(s)`,
        fix: 'add an item or remove the field',
      };
    case 'maxItems':
      return {
        path: at,
        message: `has more than ${String(params.limit)} items`,
        fix: `keep at most ${String(params.limit)}; a canary analysis needs a few`,
      };
    case 'maxProperties':
      return {
        path: at,
        message: `has more than ${String(params.limit)} entries`,
        fix: `keep at most ${String(params.limit)} entries`,
      };
    case 'minProperties': {
      const fields = Object.keys((parent.properties ?? {}) as SchemaNode);
      return {
        path: at,
        message: `must set at least one of ${fields.join(', ')}`,
        fix: `set ${fields.join(', ')} or both`,
      };
    }
    case 'uniqueKeys': {
      const keys = (params.keys as string[]).join(', ');
      return {
        path: fieldPath(error.instancePath, String(params.index)),
        message: `repeats ${keys} ${describe((params.value as unknown[])[0])} of item ${String(params.first)}`,
        fix: `give each item a unique ${keys}`,
      };
    }
    case 'format':
      return {
        path: at,
        message: `must be a ${String(params.format)}; got ${got}`,
        fix: `write a ${String(params.format)} such as 2024-01-31T12:00:00Z`,
      };
    default:
      return { path: at, message: error.message ?? error.keyword, fix: 'correct this field' };
  }
}

/** What to set when exactly one of a set of fields is required, by the fields' names. */
const ONE_OF_FIXES: Record<string, string> = {
  'targetRef|backends':
    'set targetRef for workload mode (fledge manages a primary copy of a Deployment) or backends for backend mode (traffic between two existing Services), not both',
  'stepWeight|stepWeights|iterations':
    'set stepWeight (a fixed step up to maxWeight) or stepWeights (the list of weights) for a weighted canary, or iterations for A/B testing and blue/green: only one of them',
};

function oneOfProblem(at: string, parent: SchemaNode, passing: unknown): Problem {
  const alternatives = (parent.oneOf as SchemaNode[]).map((branch) =>
    String((branch.required as string[])[0]),
  );
  // ajv stops at the second alternative that passes: it names two of them.
  const set = Array.isArray(passing) ? passing.map((index) => alternatives[index]) : [];
  return {
    path: at,
    message:
      set.length > 0
        ? `sets both ${set.join(' and ')}`
        : `needs one of ${alternatives.join(' or ')}`,
    fix: ONE_OF_FIXES[alternatives.join('|')] ?? `set exactly one of ${alternatives.join(', ')}`,
  };
}

function typeProblem(at: string, parent: SchemaNode, got: string): Problem {
  const expected =
    parent.anyOf !== undefined
      ? 'an integer or a string'
      : `${article(String(parent.type))} ${String(parent.type)}${parent.nullable ? ' or null' : ''}`;
  return {
    path: at,
    message: `must be ${expected}; got ${got}`,
    fix: `write ${expected}${parent.type === 'integer' || parent.type === 'number' ? ' without quotes' : ''}`,
  };
}

const PATTERN_FIXES: Record<string, { message: string; fix: string }> = {
  [DURATION_PATTERN]: {
    message: 'is not a duration',
    fix: 'write a duration such as 30s, 1m or 1m30s (units h, m, s, ms; largest first)',
  },
  '^https?://': {
    message: 'is not an http(s) URL',
    fix: 'write a URL starting with http:// or https://',
  },
  '^[a-z]([-a-z0-9]*[a-z0-9])?$': {
    message: 'is not a valid Service name',
    fix: "use lower-case letters, digits and '-', starting with a letter and ending with a letter or digit",
  },
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$': {
    message: 'is not a valid name',
    fix: "use lower-case letters, digits and '-', starting and ending with a letter or digit",
  },
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$': {
    message: 'is not a valid object name',
    fix: "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
  },
};

function stringProblem(at: string, parent: SchemaNode, error: ErrorObject, got: string): Problem {
  const known = PATTERN_FIXES[String(parent.pattern)];
  if (known !== undefined && error.keyword !== 'maxLength') {
    return { path: at, message: `${known.message}; got ${got}`, fix: known.fix };
  }
  if (error.keyword === 'maxLength') {
    return {
      path: at,
      message: `is longer than ${String(parent.maxLength)} characters`,
      fix: `shorten it to ${String(parent.maxLength)} characters or fewer${lengthReason(parent)}`,
    };
  }
  if (error.keyword === 'minLength') {
    return { path: at, message: 'must not be empty', fix: 'write a value or remove the field' };
  }
  return {
    path: at,
    message: `must match ${String(parent.pattern)}; got ${got}`,
    fix: "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
  };
}

function propertySchema(parent: SchemaNode, field: string): SchemaNode {
  return ((parent.properties ?? {}) as Record<string, SchemaNode>)[field] ?? {};
}

function hint(schema: SchemaNode): string {
  return typeof schema.description === 'string' ? ` (${schema.description})` : '';
}

/** Why a length limit is what it is, where the schema's description says. */
function lengthReason(schema: SchemaNode): string {
  return typeof schema.description === 'string' && schema.description.includes('characters')
    ? ` (${schema.description.replace(/\.$/, '')})`
    : '';
}

const BOUND_WORDS: Record<string, string> = {
  minimum: 'at least',
  maximum: 'at most',
  exclusiveMinimum: 'above',
  exclusiveMaximum: 'below',
};

function rangeText(schema: SchemaNode): string {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  if (exclusiveMinimum === true || exclusiveMaximum === true) {
    const low =
      minimum === undefined
        ? ''
        : `${exclusiveMinimum === true ? 'above' : 'at least'} ${String(minimum)}`;
    const high =
      maximum === undefined
        ? ''
        : `${exclusiveMaximum === true ? 'below' : 'at most'} ${String(maximum)}`;
    return `a value ${[low, high].filter(Boolean).join(' and ')}`;
  }
  if (minimum !== undefined && maximum !== undefined) {
    return `a value from ${String(minimum)} to ${String(maximum)}`;
  }
  return minimum !== undefined
    ? `a value of at least ${String(minimum)}`
    : `a value of at most ${String(maximum)}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
