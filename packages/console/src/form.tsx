import type { JSX } from 'preact';
import { emptyValue, isFileList, typeOf, type Schema } from './schema-form';

/** What every field of the generated form gets. */
interface FieldProps {
  readonly schema: Schema;
  readonly value: unknown;
  readonly path: readonly (string | number)[];
  readonly name: string;
  readonly required: boolean;
  readonly errors: ReadonlyMap<string, string>;
  readonly onChange: (value: unknown) => void;
}

const key = (path: readonly (string | number)[]) => path.join('.');
const idOf = (path: readonly (string | number)[]) => `f-${path.join('-') || 'root'}`;
const props = (s: Schema) => (s.properties ?? {}) as Record<string, Schema>;
const req = (s: Schema) => (Array.isArray(s.required) ? (s.required as string[]) : []);
const describe = (s: Schema) => (typeof s.description === 'string' ? s.description : undefined);

/** The error of one field, announced to screen readers and tied to its input. */
function ErrorText({ path, errors }: { path: readonly (string | number)[]; errors: ReadonlyMap<string, string> }) {
  const message = errors.get(key(path));
  return message ? <p class="field-error" id={`${idOf(path)}-error`} data-field={key(path)}>{message}</p> : null;
}

function aria(path: readonly (string | number)[], errors: ReadonlyMap<string, string>, hint: boolean) {
  const invalid = errors.has(key(path));
  const by = [hint ? `${idOf(path)}-hint` : '', invalid ? `${idOf(path)}-error` : ''].filter(Boolean).join(' ');
  return { 'aria-invalid': invalid ? ('true' as const) : undefined, 'aria-describedby': by || undefined };
}

/** A form for any JSON Schema object the platform publishes as an operation's input. */
export function SchemaForm({ schema, value, errors, onChange }: { schema: Schema; value: unknown; errors: ReadonlyMap<string, string>; onChange: (v: unknown) => void }) {
  return <ObjectFields schema={schema} value={value} path={[]} errors={errors} onChange={onChange} />;
}

function ObjectFields({ schema, value, path, errors, onChange }: Omit<FieldProps, 'name' | 'required'>) {
  const current = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const set = (k: string, v: unknown) => {
    const next = { ...current };
    if (v === undefined) delete next[k];
    else next[k] = v;
    onChange(next);
  };
  return (
    <div class="fields">
      <ErrorText path={path} errors={errors} />
      {Object.entries(props(schema)).map(([k, sub]) => {
        const isRequired = req(schema).includes(k);
        const present = current[k] !== undefined;
        const childPath = [...path, k];
        if (!isRequired && !present) {
          return (
            <div class="optional" key={k}>
              <button type="button" class="link" onClick={() => set(k, emptyValue(sub))}>Add {k}</button>
              {describe(sub) ? <span class="hint"> {describe(sub)}</span> : null}
              <ErrorText path={childPath} errors={errors} />
            </div>
          );
        }
        return (
          <div class="field" key={k}>
            <Field schema={sub} value={current[k]} path={childPath} name={k} required={isRequired} errors={errors} onChange={(v) => set(k, v)} />
            {!isRequired ? <button type="button" class="link remove" onClick={() => set(k, undefined)}>Remove {k}</button> : null}
          </div>
        );
      })}
    </div>
  );
}

function Label({ path, name, required, schema }: { path: readonly (string | number)[]; name: string; required: boolean; schema: Schema }) {
  return (
    <>
      <label for={idOf(path)}>
        {name}
        {required ? <span class="req" aria-hidden="true"> *</span> : null}
      </label>
      {describe(schema) ? <p class="hint" id={`${idOf(path)}-hint`}>{describe(schema)}</p> : null}
    </>
  );
}

function Field(p: FieldProps): JSX.Element {
  const { schema, value, path, name, required, errors, onChange } = p;
  const type = typeOf(schema);
  const hint = describe(schema) !== undefined;
  if (Array.isArray(schema.enum)) {
    return (
      <>
        <Label {...p} />
        <select id={idOf(path)} value={String(value ?? '')} onChange={(e) => onChange(e.currentTarget.value)} {...aria(path, errors, hint)}>
          {(schema.enum as unknown[]).map((o) => <option value={String(o)} key={String(o)}>{String(o)}</option>)}
        </select>
        <ErrorText path={path} errors={errors} />
      </>
    );
  }
  if (type === 'object') {
    return (
      <fieldset>
        <legend>{name}</legend>
        {hint ? <p class="hint">{describe(schema)}</p> : null}
        <ObjectFields {...p} />
      </fieldset>
    );
  }
  if (type === 'array' && isFileList(schema)) return <FileList {...p} />;
  if (type === 'array') {
    const items = (schema.items ?? {}) as Schema;
    const list = Array.isArray(value) ? value : [];
    if (Array.isArray(items.enum)) {
      return (
        <fieldset>
          <legend>{name}</legend>
          {hint ? <p class="hint">{describe(schema)}</p> : null}
          <div class="choices">
            {(items.enum as string[]).map((o) => (
              <label key={o} class="choice">
                <input type="checkbox" checked={list.includes(o)} onChange={(e) => onChange(e.currentTarget.checked ? [...list, o] : list.filter((x) => x !== o))} /> {o}
              </label>
            ))}
          </div>
          <ErrorText path={path} errors={errors} />
        </fieldset>
      );
    }
    return (
      <fieldset>
        <legend>{name}</legend>
        {list.map((item, i) => (
          <div class="item" key={i}>
            <Field schema={items} value={item} path={[...path, i]} name={`${name} ${i + 1}`} required errors={errors} onChange={(v) => onChange(list.map((x, j) => (j === i ? v : x)))} />
            <button type="button" class="link remove" onClick={() => onChange(list.filter((_, j) => j !== i))}>remove {name} {i + 1}</button>
          </div>
        ))}
        <button type="button" onClick={() => onChange([...list, emptyValue(items)])}>Add {name}</button>
        <ErrorText path={path} errors={errors} />
      </fieldset>
    );
  }
  if (type === 'boolean') {
    return (
      <>
        <label class="choice">
          <input id={idOf(path)} type="checkbox" checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} {...aria(path, errors, false)} /> {name}
        </label>
        <ErrorText path={path} errors={errors} />
      </>
    );
  }
  if (type === 'number' || type === 'integer') {
    return (
      <>
        <Label {...p} />
        <input id={idOf(path)} type="number" step={type === 'integer' ? 1 : 'any'} value={typeof value === 'number' ? value : ''} onInput={(e) => onChange(e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value))} {...aria(path, errors, hint)} />
        <ErrorText path={path} errors={errors} />
      </>
    );
  }
  const long = typeof schema.maxLength !== 'number' || schema.maxLength > 300;
  return (
    <>
      <Label {...p} />
      {long ? (
        <textarea id={idOf(path)} rows={6} spellcheck={false} value={String(value ?? '')} onInput={(e) => onChange(e.currentTarget.value)} {...aria(path, errors, hint)} />
      ) : (
        <input id={idOf(path)} type="text" value={String(value ?? '')} onInput={(e) => onChange(e.currentTarget.value)} {...aria(path, errors, hint)} />
      )}
      <ErrorText path={path} errors={errors} />
    </>
  );
}

/** A list of workspace files: each with its path and a paste area, plus a file picker that adds files from disk. */
function FileList({ value, path, name, errors, onChange }: FieldProps) {
  const files = (Array.isArray(value) ? value : []) as { path: string; content: string }[];
  const update = (i: number, change: Partial<{ path: string; content: string }>) => onChange(files.map((f, j) => (j === i ? { ...f, ...change } : f)));
  const pick = async (input: HTMLInputElement) => {
    const picked = await Promise.all([...(input.files ?? [])].map(async (f) => ({ path: f.name, content: await f.text() })));
    input.value = '';
    onChange([...files, ...picked]);
  };
  return (
    <fieldset class="files">
      <legend>{name}</legend>
      {files.map((f, i) => (
        <div class="file" key={i}>
          <label for={idOf([...path, i, 'path'])}>Path of file {i + 1}</label>
          <input id={idOf([...path, i, 'path'])} type="text" value={f.path} onInput={(e) => update(i, { path: e.currentTarget.value })} {...aria([...path, i, 'path'], errors, false)} />
          <ErrorText path={[...path, i, 'path']} errors={errors} />
          <label for={idOf([...path, i, 'content'])}>Content of file {i + 1} (paste here)</label>
          <textarea id={idOf([...path, i, 'content'])} class="code" rows={8} spellcheck={false} value={f.content} onInput={(e) => update(i, { content: e.currentTarget.value })} {...aria([...path, i, 'content'], errors, false)} />
          <ErrorText path={[...path, i, 'content']} errors={errors} />
          <button type="button" class="link remove" onClick={() => onChange(files.filter((_, j) => j !== i))}>remove file {i + 1}</button>
        </div>
      ))}
      <div class="file-actions">
        <button type="button" onClick={() => onChange([...files, { path: '', content: '' }])}>Add a file to paste</button>
        <label class="picker">
          Add files from disk
          <input type="file" multiple onChange={(e) => void pick(e.currentTarget)} />
        </label>
      </div>
      <ErrorText path={path} errors={errors} />
    </fieldset>
  );
}
