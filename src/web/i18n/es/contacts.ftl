# Contactos: la lista, la ficha de un contacto, la importación y exportación CSV.
contacts-title = Contactos
contacts-import-link = Importar un archivo CSV
contacts-export-link = Exportar todos (CSV)
contacts-segments-link = Segmentos
contacts-search-label = Buscar por nombre o número
contacts-search-placeholder = Ana, 612 345…
contacts-search-button = Buscar
contacts-name = Nombre
contacts-phone = Número
contacts-tags = Etiquetas
contacts-marketing = Publicidad
contacts-last-activity = Último mensaje
contacts-no-name = (sin nombre)
contacts-pages = Páginas de contactos
contacts-first-page = ← Primera página
contacts-next-page = Siguiente →
contacts-none-found = Ningún contacto coincide con «{ $q }».
contacts-no-more = No hay más contactos.
contacts-empty = Todavía no hay contactos:
contacts-empty-import = importe un archivo CSV o añada uno abajo.
contacts-tag-filter = Contactos con la etiqueta «{ $tag }».
contacts-tag-clear = Ver todos
contacts-erased = Se ha borrado el contacto { $phone }. Si el número se había dado de baja, sigue en la lista de bajas.
contacts-add-title = Añadir un contacto
contacts-add-hint = Los números sin prefijo se leen como del país de la pasarela. El consentimiento para publicidad se registra al importar una lista o por la API, con su prueba.
contacts-add-button = Añadir el contacto
contacts-reach-opted_in = Aceptó
contacts-reach-pending = Pendiente de confirmar
contacts-reach-none = Sin consentimiento
contacts-reach-opted_out = Dado de baja
contacts-reach-invalid = Número que no funciona
contacts-back = ← Todos los contactos
contacts-saved = Guardado.
contacts-details = Datos
contacts-language = Idioma
contacts-language-hint = Un código de idioma: es, en, ru.
contacts-zone = Zona horaria
contacts-zone-given = Puesta a mano. Déjela vacía para volver a tomarla del número.
contacts-zone-derived = Según el número: { $zone }. Escriba otra zona (America/Bogota…) para cambiarla.
contacts-tags-hint = Separadas por comas. La lista sustituye a las etiquetas del contacto.
contacts-attributes = Campos
contacts-no-attributes = Todavía no tiene campos.
contacts-attributes-hint = Vacíe un valor para quitar ese campo. Los números, sí/no y las fechas (AAAA-MM-DD) conservan su tipo.
contacts-new-attribute = Campo nuevo
contacts-new-attribute-value = Su valor
contacts-type-string = texto
contacts-type-number = número
contacts-type-boolean = sí/no
contacts-type-date = fecha
contacts-save = Guardar
contacts-consent = Consentimiento para publicidad
contacts-consent-status = Estado
contacts-consent-opted_in = Aceptó
contacts-consent-pending = Pedido, aún sin confirmar
contacts-consent-none = Sin consentimiento
contacts-consent-at = Cuándo
contacts-consent-source = Dónde
contacts-consent-evidence = Qué aceptó
contacts-consent-no-evidence = No hay texto registrado.
contacts-opted-out-since = Se dio de baja el { $when } ({ $source }): solo recibe la confirmación.
contacts-opted-out-keyword = La respuesta fue «{ $keyword }».
contacts-optout-source-keyword = respondiendo a un mensaje
contacts-optout-source-api = por la API
contacts-optout-source-import = en una importación
contacts-optout-source-review = tras revisarlo
contacts-invalid = Los mensajes a este número fallan, así que la publicidad lo salta hasta que responda o se entregue un mensaje.
contacts-marketing-yes = Las campañas pueden llegar a este contacto.
contacts-marketing-no = Las campañas saltan este contacto; los mensajes de servicio sí le llegan.
contacts-activity = Actividad
contacts-created = Añadido
contacts-last-sent = Último mensaje enviado
contacts-last-delivered = Último entregado
contacts-last-reply = Última respuesta
contacts-messages-sent = Mensajes enviados
contacts-history = Mensajes enviados a este contacto
contacts-history-when = Enviado
contacts-history-text = Texto
contacts-history-status = Estado
contacts-history-marketing = publicidad
contacts-history-pages = Páginas de mensajes
contacts-history-older = Anteriores →
contacts-history-newest = ← Más recientes
contacts-history-no-more = No hay mensajes anteriores.
contacts-history-empty = Todavía no hay mensajes:
contacts-history-send = envíe uno.
contacts-status-scheduled = programado
contacts-status-queued = en cola
contacts-status-sending = enviándose
contacts-status-sent = enviado
contacts-status-delivered = entregado
contacts-status-failed = fallido
contacts-status-unknown = desconocido
contacts-status-cancelled = cancelado
contacts-status-expired = caducado
contacts-status-suppressed = no enviado (baja)
contacts-erase-title = Borrar este contacto
contacts-erase-hint = Borra el nombre, las etiquetas, los campos y el consentimiento. La baja se conserva, así que el número seguirá sin recibir nada.
contacts-erase-confirm = ¿Borrar { $phone } y sus datos personales? No se puede deshacer.
contacts-erase-button = Borrar el contacto
contacts-import-title = Importar contactos
contacts-import-file = Archivo CSV
contacts-import-file-hint = Una hoja de cálculo guardada como CSV, con una fila de encabezados. Una columna debe ser el teléfono; el nombre, las etiquetas, el idioma, la zona horaria y el consentimiento se reconocen; las demás columnas serán campos.
contacts-import-reading = Leyendo el archivo…
contacts-import-no-file = Elija primero un archivo CSV.
contacts-import-help-title = Qué puede llevar el archivo
contacts-import-help-columns = Columnas: teléfono (o phone, número), nombre, time_zone, idioma, etiquetas (separadas por ;), consent, consent_at, consent_source, consent_evidence, opted_out. Antes de importar puede cambiar cómo se lee cada columna.
contacts-import-help-consent = El consentimiento «opted_in» necesita prueba: dónde se dio (consent_source) o cuándo (consent_at). Con «pending» se pide al contacto que lo confirme.
contacts-import-help-repeat = Los contactos se identifican por el número: importar el mismo archivo otra vez no cambia nada más.
contacts-import-preview = Antes de importar { $file }
contacts-import-choose-phone = Indique abajo qué columna tiene los teléfonos.
contacts-import-mapping = Cómo se leerán las columnas
contacts-import-mapping-hint = Si una columna no se reconoció, elija su campo: la vista previa se actualiza.
contacts-import-column = Columna del archivo
contacts-import-becomes = Se importa como
contacts-import-becomes-for = Cómo se importa la columna { $column }
contacts-import-examples = Ejemplos
contacts-import-unnamed = Columna { $n } (sin nombre)
contacts-import-field-phone = Teléfono
contacts-import-field-name = Nombre
contacts-import-field-time_zone = Zona horaria
contacts-import-field-language = Idioma
contacts-import-field-tags = Etiquetas
contacts-import-field-consent = Consentimiento
contacts-import-field-consent_at = Consentimiento: cuándo
contacts-import-field-consent_source = Consentimiento: dónde
contacts-import-field-consent_evidence = Consentimiento: texto aceptado
contacts-import-field-opted_out = Baja
contacts-import-field-attribute = Campo «{ $name }»
contacts-import-field-ignore = No importar
contacts-import-first-rows = Primeras filas
contacts-import-line = Línea
contacts-import-would = Qué hará la importación
contacts-import-rows = { $count ->
    [one] fila leída
   *[other] filas leídas
}
contacts-import-new = { $count ->
    [one] contacto nuevo
   *[other] contactos nuevos
}
contacts-import-updated = { $count ->
    [one] contacto actualizado
   *[other] contactos actualizados
}
contacts-import-bad = { $count ->
    [one] fila rechazada
   *[other] filas rechazadas
}
contacts-import-created = { $count ->
    [one] contacto añadido
   *[other] contactos añadidos
}
contacts-import-skipped = { $count ->
    [one] fila omitida
   *[other] filas omitidas
}
contacts-import-duplicates = { $count ->
    [one] { $count } fila repite el número de una fila anterior y se une a ella.
   *[other] { $count } filas repiten el número de una fila anterior y se unen a ella.
}
contacts-import-confirmations = { $count ->
    [one] Se pedirá por SMS a { $count } contacto que confirme su consentimiento.
   *[other] Se pedirá por SMS a { $count } contactos que confirmen su consentimiento.
}
contacts-import-confirmations-sent = { $count ->
    [one] Va en camino { $count } petición de confirmar el consentimiento.
   *[other] Van en camino { $count } peticiones de confirmar el consentimiento.
}
contacts-import-optouts = { $count ->
    [one] { $count } número pasa a la lista de bajas.
   *[other] { $count } números pasan a la lista de bajas.
}
contacts-import-bad-title = Filas que no se importarán
contacts-import-reason = Motivo
contacts-import-bad-more = …y { $count } más.
contacts-import-bad-skipped = Estas filas se omiten; las demás se importan. Corríjalas en el archivo e impórtelo de nuevo si las necesita.
contacts-import-confirm = { $count ->
    [one] Importar { $count } fila
   *[other] Importar { $count } filas
}
contacts-import-nothing = No se puede importar ninguna fila: corrija el archivo o las columnas de arriba.
contacts-import-done = { $file } importado
contacts-import-see = Ver los contactos
contacts-import-another = Importar otro archivo
error-invalid_contact = Revise este campo
error-unproven_consent = El consentimiento necesita una prueba
error-no_phone_column = Falta la columna del teléfono
error-invalid_csv = No podemos leer este archivo como CSV
error-invalid_options = Las columnas no cuadran
error-no_file = No hay archivo
error-bad_body = El archivo no llegó completo
error-body_too_large = El archivo es demasiado grande
error-bad_query = La búsqueda es demasiado larga
